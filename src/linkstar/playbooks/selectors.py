from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from linkstar.core.actors import Actor
from linkstar.playbooks.models import Template, TemplateVersion, VersionStatus


def visible_templates(actor: Actor) -> QuerySet[Template]:
    """Built-in templates and the actor's organization's own."""
    return Template.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=actor.organization.pk)
    ).select_related("site")


def template_list(*, actor: Actor, site: str | None = None) -> QuerySet[Template]:
    qs = visible_templates(actor).annotate(
        latest_version_number=Max("versions__number"),
        published_version_number=Max(
            "versions__number", filter=Q(versions__status=VersionStatus.PUBLISHED)
        ),
    )
    if site:
        qs = qs.filter(sites__code=site)
    return qs.order_by("organization_id", "name", "pk")


def version_get(*, template: Template, number: int) -> TemplateVersion:
    from linkstar.playbooks.services import get_version

    return get_version(template, number)


def latest_published(template: Template) -> TemplateVersion | None:
    return template.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
