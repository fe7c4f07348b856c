from __future__ import annotations

from django.db.models import Max
from ninja import Query, Router

from linkstar.catalog import selectors
from linkstar.catalog.schemas import DocumentTypeList, PlatformList, SiteDetail
from linkstar.core.api import ERRORS, Paging, page
from linkstar.playbooks.models import Template

router = Router(tags=["catalog"])


def site_out(site) -> dict:
    return {
        "code": site.code,
        "name": site.name,
        "name_en": site.name_en,
        "country": site.country,
        "currency": site.currency,
        "language": site.language,
        "rules": site.rules,
        "review_days": site.review_days,
    }


@router.get("/platforms", response={200: PlatformList, **ERRORS})
def platforms(request, paging: Query[Paging]):
    return page(
        selectors.platform_list(),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ps: [
            {
                "code": p.code,
                "name": p.name,
                "name_en": p.name_en,
                "sites": [site_out(s) for s in p.sites.all()],
            }
            for p in ps
        ],
    )


@router.get("/sites/{code}", response={200: SiteDetail, **ERRORS})
def site(request, code: str):
    """One site, with the built-in templates for it."""
    s = selectors.site_get(code=code)
    templates = (
        Template.objects.filter(organization__isnull=True, sites=s)
        .annotate(latest=Max("versions__number"))
        .order_by("name")
    )
    return {
        **site_out(s),
        "platform": s.platform.code,
        "templates": [
            {
                "id": t.pk,
                "key": t.key,
                "name": t.name,
                "name_en": t.name_en,
                "latest_version": t.latest,
            }
            for t in templates
        ],
    }


@router.get("/document-types", response={200: DocumentTypeList, **ERRORS})
def document_types(request, paging: Query[Paging]):
    return page(
        selectors.document_type_list(),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ds: [
            {"code": d.code, "name": d.name, "name_en": d.name_en, "description": d.description}
            for d in ds
        ],
    )
