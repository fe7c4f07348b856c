from __future__ import annotations

from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from linkstar.catalog.models import Site
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.playbooks.models import (
    SiteDefaultTemplate,
    Template,
    TemplateVersion,
    VersionStatus,
)


def visible_templates(actor: Actor) -> QuerySet[Template]:
    """Built-in templates and the actor's organization's own; a client only the built-in ones
    (the organization's own are its internal know-how, issue 15 §1)."""
    own = Q() if actor.is_client else Q(organization_id=actor.organization.pk)
    return Template.objects.filter(Q(organization__isnull=True) | own).select_related("site")


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
    return get_version(template, number)


def latest_published(template: Template) -> TemplateVersion | None:
    return template.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def published_templates(actor: Actor) -> QuerySet[Template]:
    """The templates a project may be created from: visible, with a published version, their
    sites (and platforms) read along."""

    return (
        template_list(actor=actor)
        .filter(published_version_number__isnull=False)
        .select_related("site__platform")
        .prefetch_related(Prefetch("sites", queryset=Site.objects.select_related("platform")))
    )


def template_site_codes(template: Template) -> set[str]:
    """Every site a template is for: its main site and its other sites (prefetched or not)."""
    return {template.site.code, *(s.code for s in template.sites.all())}


def site_defaults(actor: Actor, templates) -> dict[str, Template]:
    """Site code → the template a batch row of that site gets when it names none, among
    ``templates`` (the published templates the actor sees, sites prefetched; one query more):
    the organization's default for the site (set on the templates page); else its own published
    template if exactly one covers the site; else the built-in template covering the site if
    exactly one does and the organization has none of its own for it. Sites with none are left
    out. Several own templates for a site and no default is a choice to make, not a guess: the
    built-in one is not taken then."""
    templates = list(templates)
    by_pk = {t.pk: t for t in templates}
    chosen = dict(
        SiteDefaultTemplate.objects.filter(organization=actor.organization).values_list(
            "site__code", "template_id"
        )
    )
    covering: dict[str, list[Template]] = {}
    for template in templates:
        for code in template_site_codes(template):
            covering.setdefault(code, []).append(template)
    defaults: dict[str, Template] = {}
    for code, found in covering.items():
        default = by_pk.get(chosen.get(code))
        if default is not None and default in found:
            defaults[code] = default
            continue
        own = [t for t in found if not t.builtin]
        builtin = [t for t in found if t.builtin]
        if len(own) == 1:
            defaults[code] = own[0]
        elif not own and len(builtin) == 1:
            defaults[code] = builtin[0]
    return defaults


def default_template_for_site(actor: Actor, site_code: str) -> Template | None:
    """The template a batch row of ``site_code`` gets when it names none (``site_defaults``),
    or None when there is none to take."""
    covering = Template.objects.filter(Q(site__code=site_code) | Q(sites__code=site_code))
    templates = published_templates(actor).filter(pk__in=covering.values("pk"))
    return site_defaults(actor, templates).get(site_code)


def get_version(template: Template, number: int) -> TemplateVersion:
    try:
        return template.versions.select_related("template").get(number=number)
    except TemplateVersion.DoesNotExist:
        raise NotFound(_("Template version %(n)s does not exist.") % {"n": number}) from None
