from __future__ import annotations

from django.db.models import Max, Q
from ninja import Query, Router, Status

from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS, Paging, page
from linkstar.playbooks import selectors, services
from linkstar.playbooks.models import Template, VersionStatus
from linkstar.playbooks.schemas import (
    TemplateDetail,
    TemplateIn,
    TemplateList,
    TemplateOut,
    VersionOut,
    VersionPut,
)

router = Router(tags=["SOP templates"])


def template_out(t: Template) -> dict:
    latest = getattr(t, "latest_version_number", None)
    published = getattr(t, "published_version_number", None)
    if not hasattr(t, "latest_version_number"):
        agg = t.versions.aggregate(
            latest=Max("number"), published=Max("number", filter=Q(status=VersionStatus.PUBLISHED))
        )
        latest, published = agg["latest"], agg["published"]
    return {
        "id": t.pk,
        "name": t.name,
        "name_en": t.name_en,
        "site": t.site.code,
        "sites": sorted(s.code for s in t.sites.all()),
        "builtin": t.builtin,
        "latest_version": latest,
        "published_version": published,
        "cloned_from": t.cloned_from_id,
    }


def version_out(v) -> dict:
    return {
        "template_id": v.template_id,
        "number": v.number,
        "status": v.status,
        "version": v.version,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "tasks": [services.blueprint_as_dict(bp) for bp in v.blueprints.order_by("position")],
    }


@router.get("/orgs/{org}/templates", response={200: TemplateList, **ERRORS})
def template_list(request, org: str, paging: Query[Paging], site: str | None = None):
    """The built-in templates plus the organization's own."""
    actor = actor_for(request, org)
    qs = selectors.template_list(actor=actor, site=site).prefetch_related("sites")
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ts: [template_out(t) for t in ts],
    )


@router.post("/orgs/{org}/templates", response={201: TemplateOut, **ERRORS})
def template_create(request, org: str, payload: TemplateIn):
    """A new template with draft version 1, empty or cloned from another template (admins)."""
    actor = actor_for(request, org)
    source = services.get_template_for(actor, payload.clone_from) if payload.clone_from else None
    template = services.create_template(
        actor=actor, name=payload.name, site=payload.site, clone_from=source
    )
    return Status(201, template_out(template))


@router.get("/orgs/{org}/templates/{template_id}", response={200: TemplateDetail, **ERRORS})
def template_get(request, org: str, template_id: int):
    actor = actor_for(request, org)
    t = services.get_template_for(actor, template_id)
    return {
        **template_out(t),
        "description": t.description,
        "description_en": t.description_en,
        "reviewed_on": t.reviewed_on.isoformat() if t.reviewed_on else None,
        "sources": [{"title": s.get("title", ""), "url": s.get("url")} for s in t.sources],
        "versions": [
            {
                "number": v.number,
                "status": v.status,
                "published_at": v.published_at.isoformat() if v.published_at else None,
            }
            for v in t.versions.order_by("number")
        ],
    }


@router.get(
    "/orgs/{org}/templates/{template_id}/versions/{number}", response={200: VersionOut, **ERRORS}
)
def version_get(request, org: str, template_id: int, number: int):
    actor = actor_for(request, org)
    template = services.get_template_for(actor, template_id)
    return version_out(selectors.get_version(template, number))


@router.put(
    "/orgs/{org}/templates/{template_id}/versions/{number}", response={200: VersionOut, **ERRORS}
)
def version_put(request, org: str, template_id: int, number: int, payload: VersionPut):
    """Replace a draft's tasks; 409 on a published or retired version."""
    actor = actor_for(request, org)
    template = services.get_template_for(actor, template_id)
    version = selectors.get_version(template, number)
    version = services.replace_draft_tasks(
        actor=actor,
        version=version,
        tasks=[t.model_dump() for t in payload.tasks],
        expected_version=payload.version,
    )
    return version_out(version)


@router.post(
    "/orgs/{org}/templates/{template_id}/versions/{number}/publish",
    response={200: VersionOut, **ERRORS},
)
def version_publish(request, org: str, template_id: int, number: int):
    """Freeze a draft; 422 naming the task for unknown dependencies, cycles, duplicate keys or
    negative numbers."""
    actor = actor_for(request, org)
    template = services.get_template_for(actor, template_id)
    return version_out(
        services.publish_version(actor=actor, version=selectors.get_version(template, number))
    )


@router.post(
    "/orgs/{org}/templates/{template_id}/versions/{number}/retire",
    response={200: VersionOut, **ERRORS},
)
def version_retire(request, org: str, template_id: int, number: int):
    """A retired version starts no new projects; projects on it keep it."""
    actor = actor_for(request, org)
    template = services.get_template_for(actor, template_id)
    return version_out(
        services.retire_version(actor=actor, version=selectors.get_version(template, number))
    )


@router.post("/orgs/{org}/templates/{template_id}/versions", response={201: VersionOut, **ERRORS})
def version_create(request, org: str, template_id: int):
    """A new draft copied from the latest version."""
    actor = actor_for(request, org)
    template = services.get_template_for(actor, template_id)
    return Status(201, version_out(services.create_draft_version(actor=actor, template=template)))
