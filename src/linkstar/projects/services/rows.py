"""What a person asks to create, and its checks: the rows of projects, the template version
they start from, and every check of a row against the organization (shared with the importer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.catalog.models import Site
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.entities.selectors import visible_entities
from linkstar.playbooks.models import Template, TemplateVersion, VersionStatus
from linkstar.playbooks.selectors import visible_templates
from linkstar.projects.models import Stage, StoreProject

MANAGER_ROLES = ("admin", "manager")


@dataclass
class ProjectRow:
    """One project to create, as given by a person (ids not yet checked)."""

    store_name: str
    entity_id: int | None
    site: str | None = None
    manager_id: int | None = None
    members: list[int] = field(default_factory=list)
    # The row's own start date (an import's tracker has one per store); None: the batch's.
    start_date: dt.date | None = None


def _resolve_version(actor: Actor, template_id, version_number) -> TemplateVersion:
    template = visible_templates(actor).filter(pk=template_id).first() if template_id else None
    if template is None:
        raise InvalidInput(FieldError("template_id", _("Unknown template.")))
    versions = TemplateVersion.objects.filter(template=template).select_related("template")
    if version_number is None:
        version = versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        if version is None:
            raise InvalidInput(
                FieldError("template_id", _("This template has no published version yet."))
            )
        return version
    version = versions.filter(number=version_number).first()
    if version is None:
        raise InvalidInput(
            FieldError("version", _("The template has no version %(n)s.") % {"n": version_number})
        )
    if version.status != VersionStatus.PUBLISHED:
        raise InvalidInput(
            FieldError(
                "version",
                _("Version %(n)s is %(s)s; projects start from a published version.")
                % {"n": version.number, "s": version.status},
            )
        )
    return version


class _RowChecker:
    """Validates project rows against one organization with a fixed number of queries."""

    def __init__(self, actor: Actor, template: Template, rows: list[ProjectRow]) -> None:
        org = actor.organization
        self.actor = actor
        self.template = template
        self.template_sites = {s.code: s for s in template.sites.select_related("platform")}
        self.template_sites.setdefault(
            template.site.code, Site.objects.select_related("platform").get(pk=template.site_id)
        )
        entity_ids = {r.entity_id for r in rows if r.entity_id is not None}
        self.entities = {e.pk: e for e in visible_entities(actor).filter(pk__in=entity_ids)}
        self.memberships = {
            m.user_id: m for m in Membership.objects.filter(organization=org).select_related("user")
        }
        names = {r.store_name.strip() for r in rows if r.store_name}
        self.existing = set(
            StoreProject.objects.filter(organization=org, store_name__in=names)
            .exclude(stage=Stage.CANCELLED)
            .values_list("site__code", "store_name")
        )

    def _entity_problem(self, entity_id: int | None) -> str:
        if entity_id is None:
            return _("A seller entity is required.")
        if entity_id not in self.entities:
            return _("Unknown seller entity %(id)s.") % {"id": entity_id}
        if self.entities[entity_id].erased_at is not None:
            return _(
                "The personal data of seller entity %(id)s was erased; it takes no new project."
            ) % {"id": entity_id}
        return ""

    def check(self, row: ProjectRow, index: int | None, seen: set) -> list[FieldError]:
        errors = []

        def err(field_name, message):
            errors.append(FieldError(field_name, message, row=index))

        name = (row.store_name or "").strip()
        if not name:
            err("store_name", _("A store name is required."))
        elif len(name) > 200:
            err("store_name", _("A store name has at most 200 characters."))
        site_code = row.site or self.template.site.code
        if site_code not in self.template_sites:
            err(
                "site",
                _("Site %(s)r is not one this template is for (%(v)s).")
                % {
                    "s": site_code,
                    "v": "、".join(
                        s.display_name
                        for s in sorted(self.template_sites.values(), key=lambda s: s.position)
                    ),
                },
            )
        entity_problem = self._entity_problem(row.entity_id)
        if entity_problem:
            err("entity_id", entity_problem)
        if row.manager_id is not None:
            m = self.memberships.get(row.manager_id)
            if m is None:
                err("manager_id", _("The manager must be a member of the organization."))
            elif m.role not in MANAGER_ROLES and not m.is_owner:
                err(
                    "manager_id",
                    _(
                        "%(who)s is %(role)s; a project manager must be a manager or an administrator."
                    )
                    % {"who": m.user.display_name, "role": m.get_role_display()},
                )
        for uid in row.members:
            if uid not in self.memberships:
                err("members", _("User %(id)s is not a member of the organization.") % {"id": uid})
        if name and site_code in self.template_sites:
            key = (site_code, name)
            if key in self.existing:
                err(
                    "store_name",
                    _("A project for store %(n)r on %(s)s already exists.")
                    % {"n": name, "s": self.template_sites[site_code].display_name},
                )
            elif key in seen:
                err(
                    "store_name",
                    _("Store %(n)r on %(s)s appears twice in this batch.")
                    % {"n": name, "s": self.template_sites[site_code].display_name},
                )
            seen.add(key)
        return errors


def prepare_rows(
    actor: Actor, version: TemplateVersion, rows: list[ProjectRow], *, batch: bool
) -> dict[str, Site]:
    checker = _RowChecker(actor, version.template, rows)
    errors: list[FieldError] = []
    seen: set = set()
    for i, row in enumerate(rows):
        if row.manager_id is None and actor.role == "manager":
            row.manager_id = actor.user_id
        row.site = row.site or version.template.site.code
        errors.extend(checker.check(row, i if batch else None, seen))
    if errors:
        raise InvalidInput(errors)
    return checker.template_sites
