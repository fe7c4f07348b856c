from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from linkstar.catalog.models import DocumentType, Platform, Site
from linkstar.core.exceptions import NotFound


def platform_list() -> QuerySet[Platform]:
    return Platform.objects.prefetch_related(
        Prefetch("sites", queryset=Site.objects.order_by("position", "code"))
    )


def site_get(*, code: str) -> Site:
    try:
        return Site.objects.select_related("platform").get(code=code)
    except Site.DoesNotExist:
        raise NotFound(f"Unknown site {code!r}.") from None


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.all()
