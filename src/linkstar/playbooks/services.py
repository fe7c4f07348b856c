"""Writes on SOP templates: create and clone, edit drafts, publish, retire, built-in loading.

Versions move draft → published → retired. A published version is frozen: projects created from
it keep pointing at it, so its tasks are never edited; changes go into a new draft version.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import DocumentType, Site
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    check_version,
)
from linkstar.playbooks.models import (
    SiteDefaultTemplate,
    TaskBlueprint,
    Template,
    TemplateVersion,
    VersionStatus,
    blueprint_as_dict,
)
from linkstar.playbooks.selectors import template_site_codes, visible_templates
from linkstar.playbooks.validation import field_errors, plan_errors

BUILTIN_DIR = Path(__file__).parent / "data" / "templates"


def _normalise(raw: dict) -> dict:
    return {
        "key": (raw.get("key") or "").strip(),
        "title": (raw.get("title") or "").strip(),
        "title_en": (raw.get("title_en") or "").strip(),
        "description": raw.get("description") or "",
        "description_en": raw.get("description_en") or "",
        "phase": raw.get("phase"),
        "offset_days": int(raw.get("offset_days") or 0),
        "duration_days": int(
            raw.get("duration_days") if raw.get("duration_days") is not None else 1
        ),
        # A key listed twice would give a project task the same dependency twice.
        "depends_on": list(dict.fromkeys(str(k) for k in raw.get("depends_on") or [])),
        "role": raw.get("role") or None,
        "document_types": [str(c) for c in raw.get("document_types") or []],
        "approval_levels": int(raw.get("approval_levels") or 0),
        "checklist": [str(c) for c in raw.get("checklist") or []],
        "checklist_en": [str(c) for c in raw.get("checklist_en") or []],
        "sets_stage": raw.get("sets_stage") or None,
    }


def _document_codes() -> list[str]:
    return list(DocumentType.objects.values_list("code", flat=True))


def _require_editable(actor: Actor, template: Template) -> None:
    if template.builtin:
        raise PermissionDenied(
            _("Built-in templates are read-only; clone one to customise it."),
            code="builtin_readonly",
        )
    policy.require(actor, "template.manage", template)


def _write_blueprints(version: TemplateVersion, blueprints: list[dict]) -> None:
    TaskBlueprint.objects.filter(template_version=version).delete()
    TaskBlueprint.objects.bulk_create(
        TaskBlueprint(
            template_version=version,
            position=i,
            **{**bp, "role": bp["role"] or "", "sets_stage": bp["sets_stage"] or ""},
        )
        for i, bp in enumerate(blueprints)
    )


def _blueprints_of(version: TemplateVersion) -> list[dict]:
    return [blueprint_as_dict(bp) for bp in version.blueprints.order_by("position")]


def _site(code: str, field: str = "site") -> Site:
    try:
        return Site.objects.get(code=code)
    except Site.DoesNotExist:
        raise InvalidInput(FieldError(field, _("Unknown site %(c)r.") % {"c": code})) from None


@transaction.atomic
def create_template(
    *, actor: Actor, name: str, site: str | None = None, clone_from: Template | None = None
) -> Template:
    """Create an organization template with a draft version 1, empty or copied from another
    template's latest version (built-in or the organization's own)."""
    policy.require(actor, "template.manage")
    if clone_from is not None and clone_from.organization_id not in (None, actor.organization.pk):
        raise NotFound()  # another organization's template: as if it did not exist
    name = (name or "").strip()
    if not name:
        raise InvalidInput(FieldError("name", _("A template needs a name.")))
    if len(name) > 200:
        raise InvalidInput(FieldError("name", _("A template name has at most 200 characters.")))
    if clone_from is None and not site:
        raise InvalidInput(FieldError("site", _("Choose the site the template is for.")))
    site_obj = _site(site) if site else clone_from.site
    template = Template.objects.create(
        organization=actor.organization,
        name=name,
        site=site_obj,
        cloned_from=clone_from,
        name_en=clone_from.name_en if clone_from else "",
        description=clone_from.description if clone_from else "",
        description_en=clone_from.description_en if clone_from else "",
        reviewed_on=clone_from.reviewed_on if clone_from else None,
        sources=list(clone_from.sources) if clone_from else [],
    )
    template.sites.set(clone_from.sites.all() if clone_from else [site_obj])
    if site_obj not in template.sites.all():
        template.sites.add(site_obj)
    version = TemplateVersion.objects.create(template=template, number=1)
    if clone_from is not None:
        source = clone_from.versions.order_by("-number").first()
        if source is not None:
            _write_blueprints(version, _blueprints_of(source))
    record(
        actor=actor,
        action="template.cloned" if clone_from else "template.created",
        obj=template,
        changes={
            "name": {"before": None, "after": name},
            "site": {"before": None, "after": site_obj.code},
            **({"clone_from": {"before": None, "after": clone_from.pk}} if clone_from else {}),
        },
    )
    return template


@transaction.atomic
def replace_draft_tasks(
    *,
    actor: Actor,
    version: TemplateVersion,
    tasks: list[dict],
    expected_version: int | None = None,
) -> TemplateVersion:
    """Replace all task blueprints of a draft. Published and retired versions are frozen (409)."""
    _require_editable(actor, version.template)
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _("Version %(n)d is %(s)s and cannot be edited; create a new draft.")
            % {"n": version.number, "s": version.status},
            code="version_not_draft",
        )
    check_version(version, expected_version)
    blueprints = [_normalise(t) for t in tasks]
    errors = field_errors(blueprints, document_type_codes=_document_codes())
    if errors:
        raise InvalidInput(errors)
    before = [bp["key"] for bp in _blueprints_of(version)]
    _write_blueprints(version, blueprints)
    version.version += 1
    version.save(update_fields=["version", "updated_at"])
    record(
        actor=actor,
        action="template.draft_saved",
        obj=version,
        changes={"tasks": {"before": before, "after": [bp["key"] for bp in blueprints]}},
    )
    return version


def _publish(version: TemplateVersion, blueprints: list[dict], *, by_user_id: int | None) -> None:
    errors = field_errors(blueprints, document_type_codes=_document_codes()) + plan_errors(
        blueprints
    )
    if errors:
        raise InvalidInput(errors, code="invalid_template")
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by_id = by_user_id
    version.version += 1
    version.save()


@transaction.atomic
def publish_version(*, actor: Actor, version: TemplateVersion) -> TemplateVersion:
    """Freeze a draft after checking its plan: unique keys, known dependencies, no cycles,
    no negative offsets or durations (422 naming the task otherwise)."""
    _require_editable(actor, version.template)
    version = (
        TemplateVersion.objects.select_for_update().select_related("template").get(pk=version.pk)
    )
    if version.status != VersionStatus.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be published; version %(n)d is %(s)s.")
            % {"n": version.number, "s": version.status}
        )
    _publish(version, _blueprints_of(version), by_user_id=actor.user_id)
    record(
        actor=actor,
        action="template.published",
        obj=version,
        changes={"status": {"before": "draft", "after": "published"}},
    )
    return version


@transaction.atomic
def retire_version(*, actor: Actor, version: TemplateVersion) -> TemplateVersion:
    """A retired version creates no new projects; projects already on it keep it."""
    _require_editable(actor, version.template)
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise TransitionNotAllowed(_("Only a published version can be retired."))
    version.status = VersionStatus.RETIRED
    version.version += 1
    version.save(update_fields=["status", "version", "updated_at"])
    record(
        actor=actor,
        action="template.retired",
        obj=version,
        changes={"status": {"before": "published", "after": "retired"}},
    )
    return version


@transaction.atomic
def create_draft_version(*, actor: Actor, template: Template) -> TemplateVersion:
    """A new draft copied from the latest version; one draft at a time."""
    _require_editable(actor, template)
    Template.objects.select_for_update().get(pk=template.pk)
    latest = template.versions.order_by("-number").first()
    if latest is not None and latest.status == VersionStatus.DRAFT:
        raise Conflict(
            _("Version %(n)d is still a draft; edit or publish it first.") % {"n": latest.number},
            code="draft_exists",
        )
    number = (latest.number if latest else 0) + 1
    version = TemplateVersion.objects.create(template=template, number=number)
    if latest is not None:
        _write_blueprints(version, _blueprints_of(latest))
    record(
        actor=actor,
        action="template.version_created",
        obj=version,
        changes={"number": {"before": None, "after": number}},
    )
    return version


# --- per-site default templates ------------------------------------------------------------


def _default_sites(actor: Actor, template: Template) -> list[str]:
    return sorted(
        SiteDefaultTemplate.objects.filter(
            organization=actor.organization, template=template
        ).values_list("site__code", flat=True)
    )


@transaction.atomic
def set_site_default(
    *, actor: Actor, template: Template, sites: list[str] | None = None
) -> list[str]:
    """Make ``template`` the organization's default for ``sites`` (all the sites it is for when
    None): a batch row of such a site that names no template gets it. Administrators only; the
    template must be one the organization sees (built-in or its own, 404 otherwise), have a
    published version, and be for every site given. Returns the sites it is now the default
    for."""
    policy.require(actor, "template.manage")
    if template.organization_id not in (None, actor.organization.pk):
        raise NotFound()

    covered = template_site_codes(template)
    codes = sorted(covered) if sites is None else list(dict.fromkeys(sites))
    if not codes:
        raise InvalidInput(FieldError("sites", _("Choose at least one site.")))
    outside = [c for c in codes if c not in covered]
    if outside:
        names = dict(Site.objects.filter(code__in=outside).values_list("code", "name"))
        raise InvalidInput(
            FieldError(
                "sites",
                _("“%(t)s” is not for %(s)s.")
                % {"t": template.display_name, "s": "、".join(names.get(c, c) for c in outside)},
            )
        )
    if not template.versions.filter(status=VersionStatus.PUBLISHED).exists():
        raise InvalidInput(
            FieldError(
                "template_id",
                _("“%(t)s” has no published version yet: publish it first.")
                % {"t": template.display_name},
            ),
            code="template_not_published",
        )
    site_ids = dict(Site.objects.filter(code__in=codes).values_list("code", "pk"))
    before = {
        code: template_id
        for code, template_id in SiteDefaultTemplate.objects.select_for_update()
        .filter(organization=actor.organization, site__code__in=codes)
        .values_list("site__code", "template_id")
    }
    for code in codes:
        SiteDefaultTemplate.objects.update_or_create(
            organization=actor.organization,
            site_id=site_ids[code],
            defaults={"template": template},
        )
    record(
        actor=actor,
        action="template.site_default_set",
        obj=template,
        changes={
            code: {"before": before.get(code), "after": template.pk}
            for code in codes
            if before.get(code) != template.pk
        },
    )
    return _default_sites(actor, template)


@transaction.atomic
def clear_site_default(*, actor: Actor, site: str) -> None:
    """The site has no chosen default any more: its rows fall back to the organization's only
    template for it, or the built-in one (``selectors.site_defaults``). Administrators only."""
    policy.require(actor, "template.manage")
    default = (
        SiteDefaultTemplate.objects.select_for_update()
        .select_related("template")
        .filter(organization=actor.organization, site__code=site)
        .first()
    )
    if default is None:
        return
    default.delete()
    record(
        actor=actor,
        action="template.site_default_cleared",
        obj=default.template,
        changes={site: {"before": default.template_id, "after": None}},
    )


# --- built-in templates ----------------------------------------------------------------------


def load_builtin_templates(*, directory: Path = BUILTIN_DIR) -> dict[str, str]:
    """Install the shipped templates: a new file becomes a published v1, a changed file a new
    published version (the older one retired), an unchanged file nothing. Idempotent."""
    outcome: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        outcome[data["key"]] = _load_builtin(data)
    return outcome


@transaction.atomic
def _load_builtin(data: dict) -> str:
    primary = Site.objects.get(code=data["site"])
    sites = list(Site.objects.filter(code__in=data.get("sites") or [data["site"]]))
    template, created = Template.objects.update_or_create(
        organization=None,
        key=data["key"],
        defaults={
            "name": data["name"],
            "name_en": data.get("name_en", ""),
            "description": data.get("description", ""),
            "description_en": data.get("description_en", ""),
            "site": primary,
            "reviewed_on": data.get("reviewed_on") or None,
            "sources": list(data.get("sources") or []),
        },
    )
    template.sites.set({primary, *sites})
    blueprints = [_normalise(t) for t in data["tasks"]]
    latest = template.versions.order_by("-number").first()
    if latest is not None and _blueprints_of(latest) == blueprints:
        return "unchanged"
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = TemplateVersion.objects.create(template=template, number=number)
    _write_blueprints(version, blueprints)
    _publish(version, blueprints, by_user_id=None)
    template.versions.filter(status=VersionStatus.PUBLISHED).exclude(pk=version.pk).update(
        status=VersionStatus.RETIRED
    )
    return "created" if created else f"updated to v{number}"


def get_template_for(actor: Actor, template_id: int) -> Template:
    return policy.get_visible(visible_templates(actor), pk=template_id)
