"""Checking and applying a tracker of store projects.

:class:`ProjectSheet` turns the mapped rows into ``ProjectRow`` objects grouped by template
version, with every error named by sheet row and column, using a fixed number of queries
whatever the number of rows. The rows are then checked again by the project services' own
row checker (``projects.services.prepare_rows``) so that an import refuses exactly what the
batch wizard refuses, and created by the same ``materialise``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.catalog.models import Platform, Site
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import InvalidInput
from linkstar.entities.selectors import visible_entities
from linkstar.exchange.fields import (
    norm,
    parse_date,
    parse_stage,
    parse_task_status,
)
from linkstar.playbooks.models import TaskBlueprint, TemplateVersion, VersionStatus
from linkstar.playbooks.selectors import visible_templates
from linkstar.projects.models import Stage, TaskStatus
from linkstar.projects.services import MANAGER_ROLES, ProjectRow, prepare_rows

# Errors of the project services' checker name these fields; the sheet names the columns.
SERVICE_FIELDS = {
    "store_name": "store_name",
    "site": "site",
    "entity_id": "entity",
    "manager_id": "manager",
    "members": "manager",
    "start_date": "start_date",
}
FINISHED = {TaskStatus.DONE, TaskStatus.SKIPPED}


@dataclass
class TaskState:
    key: str
    column: dict = field(default_factory=dict)  # attribute → header, for errors
    status: str | None = None
    assignee_id: int | None = None
    due_date: dt.date | None = None


@dataclass
class SheetRow:
    number: int  # the row number the person sees in the sheet
    row: ProjectRow
    version: TemplateVersion | None = None
    stage: str | None = None
    stage_column: str = ""
    tasks: dict[str, TaskState] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field → header, for errors


@dataclass
class _Cells:
    """One sheet row's cells, {field: (value, header)}, and the list its errors go to."""

    number: int  # the row number the person sees in the sheet
    values: dict
    errors: list[dict]

    def get(self, name: str):
        value = self.values.get(name, (None, ""))[0]
        return None if value in (None, "") else value

    def err(self, name: str, message) -> None:
        column = self.values.get(name, (None, ""))[1]
        self.errors.append(
            {"row": self.number, "column": column, "field": name, "message": str(message)}
        )


def _compact_number(text) -> str:
    """A registration number as the entities are indexed by: no spaces or dashes, upper case."""
    return str(text).replace(" ", "").replace("-", "").upper()


def to_plan(sheet_rows: list[SheetRow], latest: set[int]) -> list[list]:
    """The resolved rows as JSON: [sheet row, store name, site, entity id, manager id, start,
    version id, version was the latest published, stage, {task key: [status, assignee, due]}]."""
    return [
        [
            s.number,
            s.row.store_name,
            s.row.site,
            s.row.entity_id,
            s.row.manager_id,
            s.row.start_date.isoformat() if s.row.start_date else None,
            s.version.pk,
            s.version.pk in latest,
            s.stage,
            {
                key: [
                    t.status,
                    t.assignee_id,
                    t.due_date.isoformat() if t.due_date else None,
                ]
                for key, t in s.tasks.items()
            },
        ]
        for s in sheet_rows
    ]


class ProjectSheet:
    """The organization's lookups (sites, entities, members, templates) loaded once
    (``load=False``: none, for a run that reuses the preview's plan)."""

    def __init__(self, actor: Actor, defaults: dict, *, load: bool = True) -> None:
        self.actor = actor
        self.defaults = defaults or {}
        if not load:
            return
        self._load_sites()
        self._load_entities()
        self._load_members()
        self._load_templates()

    # --- lookups -----------------------------------------------------------------------------

    def _load_sites(self) -> None:
        self.site_alias: dict[str, str] = {}
        self.platform_alias: dict[str, int] = {}
        self.local_alias: dict[tuple[int, str], str] = {}
        for platform in Platform.objects.all():
            for name in (platform.code, platform.name, platform.name_en):
                if name:
                    self.platform_alias.setdefault(norm(name), platform.pk)
        for site in Site.objects.select_related("platform"):
            p = site.platform
            for name in (site.code, site.name, site.name_en, site.code_prefix):
                if name:
                    self.site_alias.setdefault(norm(name), site.code)
            local = {site.country, site.name.replace(p.name, "", 1)}
            local.add(site.name.replace(p.name, "", 1).replace("站", ""))
            if site.name_en:
                local.add(site.name_en.replace(p.name_en, "", 1))
            for name in local:
                if norm(name):
                    self.local_alias.setdefault((p.pk, norm(name)), site.code)

    def _load_entities(self) -> None:
        self.entity_alias: dict[str, int] = {}
        self.entity_number: dict[str, int] = {}
        self.entity_names: dict[int, str] = {}
        for entity in visible_entities(self.actor):
            self.entity_names[entity.pk] = entity.name
            for name in (entity.name, entity.name_en):
                if name:
                    self.entity_alias.setdefault(norm(name), entity.pk)
            number = (entity.registration_number or "").replace(" ", "").replace("-", "").upper()
            if number:
                self.entity_number[number] = entity.pk

    def _load_members(self) -> None:
        self.by_email: dict[str, Membership] = {}
        self.by_name: dict[str, list[Membership]] = defaultdict(list)
        self.emails: dict[int, str] = {}
        for m in Membership.objects.filter(organization=self.actor.organization).select_related(
            "user"
        ):
            self.by_email[m.user.email.lower()] = m
            self.emails[m.user_id] = m.user.email
            if m.user.name:
                self.by_name[norm(m.user.name)].append(m)

    def _load_templates(self) -> None:
        templates = list(visible_templates(self.actor).prefetch_related("sites"))
        versions = {}
        for v in (
            TemplateVersion.objects.filter(
                template__in=[t.pk for t in templates], status=VersionStatus.PUBLISHED
            )
            .select_related("template", "template__site")
            .order_by("template_id", "number")
        ):
            versions.setdefault(v.template_id, {})[v.number] = v
        self.versions = versions
        self.template_alias: dict[str, int] = {}
        self.site_templates: dict[str, list] = defaultdict(list)
        # The organization's own templates first: they win over the built-in one for a site.
        ordered = sorted(templates, key=lambda t: (t.organization_id is None, -t.pk))
        for t in ordered:
            if t.pk not in versions:
                continue
            for name in (t.name, t.name_en, t.key, str(t.pk)):
                if name:
                    self.template_alias.setdefault(norm(name), t.pk)
            codes = {s.code for s in t.sites.all()} | {t.site.code}
            for code in codes:
                self.site_templates[code].append(t.pk)
        self.blueprints: dict[int, list[TaskBlueprint]] = defaultdict(list)
        latest = [max(v.values(), key=lambda x: x.number) for v in versions.values()]
        wanted = {v.pk for vs in versions.values() for v in vs.values()}
        for bp in TaskBlueprint.objects.filter(template_version_id__in=wanted).order_by(
            "template_version_id", "position"
        ):
            self.blueprints[bp.template_version_id].append(bp)
        self.latest = {v.template_id: v for v in latest}

    def latest_ids(self) -> set[int]:
        return {v.pk for v in self.latest.values()}

    def from_plan(self, plan: list[list], columns: dict[str, str]) -> list[SheetRow] | None:
        """The preview's resolved rows again, after checking in a fixed number of queries what
        may have changed since: each template version is still visible and published (and
        still the latest where the row named none), each task assignee still a member. None
        when something changed: the caller resolves every row again. Entities, managers and
        duplicates are checked by the project services' checks, as for any row."""
        version_ids = {r[6] for r in plan}
        versions = {
            v.pk: v
            for v in TemplateVersion.objects.filter(
                pk__in=version_ids,
                status=VersionStatus.PUBLISHED,
                template__in=visible_templates(self.actor).values("pk"),
            ).select_related("template", "template__site")
        }
        if set(versions) != version_ids:
            return None
        wanted_latest = {r[6] for r in plan if r[7]}
        if wanted_latest:
            newest = dict(
                TemplateVersion.objects.filter(
                    template_id__in={versions[v].template_id for v in wanted_latest},
                    status=VersionStatus.PUBLISHED,
                )
                .values_list("template_id")
                .annotate(n=Max("number"))
            )
            if any(
                versions[v].number != newest.get(versions[v].template_id) for v in wanted_latest
            ):
                return None
        assignees = {t[1] for r in plan for t in r[9].values() if t[1] is not None}
        if assignees:
            members = set(
                Membership.objects.filter(
                    organization=self.actor.organization, user_id__in=assignees
                ).values_list("user_id", flat=True)
            )
            if assignees - members:
                return None
        out = []
        for number, name, site, entity_id, manager_id, start, version_id, _l, stage, tasks in plan:
            out.append(
                SheetRow(
                    number=number,
                    row=ProjectRow(
                        store_name=name,
                        entity_id=entity_id,
                        site=site,
                        manager_id=manager_id,
                        start_date=dt.date.fromisoformat(start) if start else None,
                    ),
                    version=versions[version_id],
                    stage=stage,
                    stage_column=columns.get("stage", ""),
                    tasks={
                        key: TaskState(
                            key=key,
                            status=status,
                            assignee_id=assignee,
                            due_date=dt.date.fromisoformat(due) if due else None,
                        )
                        for key, (status, assignee, due) in tasks.items()
                    },
                    columns=columns,
                )
            )
        return out

    def task_names(self) -> dict[str, str]:
        """key → title of the tasks a tracker's columns may name (the default template's, or
        every visible template's)."""
        template_id = self.defaults.get("template_id")
        versions = (
            [self.latest[template_id]] if template_id in self.latest else self.latest.values()
        )
        names = {}
        for v in versions:
            for bp in self.blueprints[v.pk]:
                names.setdefault(bp.key, bp.title)
        return names

    # --- resolving one row ---------------------------------------------------------------------

    def resolve_site(self, site_text, platform_text) -> str | None:
        site = norm(site_text) if site_text not in (None, "") else ""
        platform = self.platform_alias.get(norm(platform_text)) if platform_text else None
        if platform is not None and site:
            code = self.local_alias.get((platform, site))
            if code:
                return code
            found = self.site_alias.get(norm(f"{platform_text}{site_text}"))
            if found:
                return found
        return self.site_alias.get(site) if site else None

    def resolve_member(self, text) -> Membership | str | None:
        value = str(text).strip()
        if "@" in value:
            return self.by_email.get(value.lower())
        found = self.by_name.get(norm(value), [])
        if len(found) > 1:
            return "ambiguous"
        return found[0] if found else None

    def check(
        self, rows: list[tuple[int, dict]], progress=None
    ) -> tuple[list[SheetRow], list[dict]]:
        """``rows``: (sheet row, {field: (value, header)}). Returns the resolved rows and the
        errors ``{"row", "column", "field", "message"}``; writes nothing."""
        errors: list[dict] = []
        out: list[SheetRow] = []
        default_start = self._default_start()
        today = org_today(self.actor.organization)
        seen: dict[tuple[str, str], int] = {}
        # field → header: the same for every row (shared by the rows, for naming errors)
        columns = {name: header for name, (_v, header) in rows[0][1].items()} if rows else {}

        for index, (number, values) in enumerate(rows):
            if progress is not None and index and index % 500 == 0:
                progress(index)
            cells = _Cells(number=number, values=values, errors=errors)
            sheet_row = self._check_row(cells, columns, default_start, today)
            self._check_duplicate(cells, sheet_row, seen)
            out.append(sheet_row)
        return out, errors

    def _default_start(self) -> dt.date | None:
        """The start date chosen for rows without one; an unreadable one counts as none."""
        default_start = self.defaults.get("start_date")
        try:
            return parse_date(default_start) if default_start else None
        except ValueError:
            return None

    def _check_row(
        self, cells: _Cells, columns: dict[str, str], default_start, today: dt.date
    ) -> SheetRow:
        """One row resolved column by column, in the order its errors are listed."""
        name = str(cells.get("store_name") or "").strip()
        site = self._site_of(cells)
        entity_id = self._entity_of(cells)
        manager_id = self._manager_of(cells)
        start = self._start_of(cells, default_start)
        stage = self._stage_of(cells)
        version = self._version_of(cells, self._template_of(cells, site))
        sheet_row = SheetRow(
            number=cells.number,
            row=ProjectRow(
                store_name=name,
                entity_id=entity_id,
                site=site,
                manager_id=manager_id,
                start_date=start,
            ),
            version=version,
            stage=stage,
            stage_column=cells.values.get("stage", (None, ""))[1],
            columns=columns,
        )
        if version is not None:
            self._check_tasks(sheet_row, cells.values, cells.err, start or today)
        return sheet_row

    def _site_of(self, cells: _Cells) -> str | None:
        site_text, platform_text = cells.get("site"), cells.get("platform")
        if site_text is None and platform_text is None:
            return None
        site = self.resolve_site(site_text, platform_text)
        if site is None:
            cells.err(
                "site" if site_text is not None else "platform",
                _("Unknown site %(s)r: give a site code (amazon-us) or name (亚马逊美国站).")
                % {"s": " ".join(str(v) for v in (platform_text, site_text) if v)},
            )
        return site

    def _entity_of(self, cells: _Cells) -> int | None:
        """By name or registration number in the entity column, else by the number column."""
        if cells.get("entity") is not None:
            entity_id = self.entity_alias.get(norm(cells.get("entity")))
            if entity_id is None:
                entity_id = self.entity_number.get(_compact_number(cells.get("entity")))
            if entity_id is None:
                cells.err("entity", _("Unknown seller entity %(e)r.") % {"e": cells.get("entity")})
            return entity_id
        if cells.get("entity_number") is not None:
            entity_id = self.entity_number.get(_compact_number(cells.get("entity_number")))
            if entity_id is None:
                cells.err(
                    "entity_number",
                    _("No seller entity has the registration number %(n)r.")
                    % {"n": cells.get("entity_number")},
                )
            return entity_id
        cells.err("entity", _("A seller entity is required."))
        return None

    def _manager_of(self, cells: _Cells) -> int | None:
        """The manager by email, else by name (the first of the two columns given)."""
        for source in ("manager_email", "manager"):
            if cells.get(source) is not None:
                return self._check_manager(cells, source)
        return None

    def _check_manager(self, cells: _Cells, source: str) -> int | None:
        m = self.resolve_member(cells.get(source))
        if m == "ambiguous":
            cells.err(
                source,
                _("Several members are called %(n)r: use the email.") % {"n": cells.get(source)},
            )
        elif m is None:
            cells.err(
                source, _("%(n)r is not a member of the organization.") % {"n": cells.get(source)}
            )
        elif m.role not in MANAGER_ROLES and not m.is_owner:
            cells.err(
                source,
                _("%(who)s is %(role)s; a project manager must be a manager or an administrator.")
                % {"who": m.user.email, "role": m.role},
            )
        else:
            return m.user_id
        return None

    def _start_of(self, cells: _Cells, default_start) -> dt.date | None:
        if cells.get("start_date") is None:
            return default_start
        try:
            return parse_date(cells.get("start_date"))
        except (ValueError, OverflowError):
            cells.err(
                "start_date",
                _("%(v)r is not a date (e.g. 2026-03-05).") % {"v": cells.get("start_date")},
            )
            return default_start

    def _stage_of(self, cells: _Cells) -> str | None:
        if cells.get("stage") is None:
            return None
        try:
            return parse_stage(cells.get("stage"))
        except ValueError:
            cells.err(
                "stage",
                _("Unknown stage %(v)r (e.g. 待提交, 审核中, opened).") % {"v": cells.get("stage")},
            )
            return None

    def _template_of(self, cells: _Cells, site: str | None) -> int | None:
        """The template column, else the default template, else the first for the site."""
        template_id = self.defaults.get("template_id")
        if cells.get("template") is not None:
            template_id = self.template_alias.get(norm(cells.get("template")))
            if template_id is None:
                cells.err(
                    "template",
                    _("Unknown template %(t)r, or it has no published version.")
                    % {"t": cells.get("template")},
                )
        elif template_id is None and site is not None:
            candidates = self.site_templates.get(site, [])
            template_id = candidates[0] if candidates else None
            if template_id is None:
                cells.err(
                    "site",
                    _("No template with a published version is for site %(s)s.") % {"s": site},
                )
        elif template_id is None and site is None:
            cells.err("site", _("Give a site, or choose a template for every row."))
        return template_id

    def _version_of(self, cells: _Cells, template_id: int | None) -> TemplateVersion | None:
        """The version the row names, else the template's latest published one."""
        if template_id is None:
            return None
        if template_id not in self.versions:
            cells.err("template", _("The chosen template has no published version."))
            return None
        wanted = cells.get("template_version")
        if wanted is None:
            return self.latest[template_id]
        try:
            version = self.versions[template_id].get(int(float(wanted)))
        except ValueError:
            version = None
        if version is None:
            cells.err(
                "template_version",
                _("The template has no published version %(n)s.") % {"n": wanted},
            )
        return version

    def _check_duplicate(
        self, cells: _Cells, sheet_row: SheetRow, seen: dict[tuple[str, str], int]
    ) -> None:
        """A store is on one row of the sheet per site."""
        name, site, version = sheet_row.row.store_name, sheet_row.row.site, sheet_row.version
        if not (name and (site or (version and version.template.site.code))):
            return
        key = (site or version.template.site.code, name)
        if key in seen:
            cells.err(
                "store_name",
                _("Store %(n)r on %(s)s is also on row %(r)s.")
                % {"n": name, "s": key[0], "r": seen[key]},
            )
        else:
            seen[key] = cells.number

    def _check_tasks(self, sheet_row: SheetRow, values: dict, err, start: dt.date) -> None:
        blueprints = {bp.key: bp for bp in self.blueprints[sheet_row.version.pk]}
        for name, (value, header) in values.items():
            if not name.startswith("task:") or value in (None, ""):
                continue
            _prefix, key, attribute = name.split(":", 2)
            if key not in blueprints:
                err(
                    name,
                    _("The template %(t)s has no task %(k)r.")
                    % {"t": sheet_row.version.template.display_name, "k": key},
                )
                continue
            state = sheet_row.tasks.setdefault(key, TaskState(key=key))
            state.column[attribute] = header
            if attribute == "status":
                try:
                    state.status = parse_task_status(value)
                except ValueError:
                    err(
                        name,
                        _("Unknown task status %(v)r (e.g. 进行中, 已完成, 不适用).")
                        % {"v": value},
                    )
                    continue
                if state.status == TaskStatus.AWAITING_APPROVAL:
                    err(
                        name,
                        _(
                            "A task cannot be imported as awaiting approval: ask for it in LinkStar."
                        ),
                    )
            elif attribute == "assignee":
                m = self.resolve_member(value)
                if m == "ambiguous" or m is None:
                    err(
                        name,
                        _("%(n)r is not a member of the organization (or not only one).")
                        % {"n": value},
                    )
                else:
                    state.assignee_id = m.user_id
            elif attribute == "due":
                try:
                    state.due_date = parse_date(value)
                except (ValueError, OverflowError):
                    err(name, _("%(v)r is not a date (e.g. 2026-03-05).") % {"v": value})
        # A task started or finished while one it depends on is open breaks the plan's rule.
        status = {k: s.status for k, s in sheet_row.tasks.items() if s.status}
        for key, state in sheet_row.tasks.items():
            if state.status not in (TaskStatus.IN_PROGRESS, TaskStatus.DONE):
                continue
            waiting = [
                d
                for d in blueprints[key].depends_on
                if status.get(d, TaskStatus.TODO) not in FINISHED
            ]
            if waiting:
                err(
                    f"task:{key}:status",
                    _("%(task)s cannot be %(s)s while %(deps)s is not done.")
                    % {
                        "task": blueprints[key].title,
                        "s": TaskStatus(state.status).label,
                        "deps": ", ".join(blueprints[d].title for d in waiting),
                    },
                )
        if sheet_row.stage is None:
            done = [
                bp.sets_stage
                for bp in blueprints.values()
                if bp.sets_stage and status.get(bp.key) == TaskStatus.DONE
            ]
            sheet_row.stage = done[-1] if done else None

    def check_with_services(self, sheet_rows: list[SheetRow]) -> list[dict]:
        """The project services' own checks per template version (names, sites of the template,
        entity, manager, duplicates with existing projects), their errors renamed to sheet
        rows and columns. The checked sites of each version are kept in ``self.sites``."""
        errors = []
        self.sites: dict[TemplateVersion, dict] = {}
        for version, group in group_by_version(sheet_rows).items():
            rows = [s.row for s in group]
            try:
                self.sites[version] = prepare_rows(self.actor, version, rows, batch=True)
            except InvalidInput as exc:
                for e in exc.errors:
                    s = group[e.row] if e.row is not None else group[0]
                    errors.append(
                        {
                            "row": s.number,
                            "column": s.columns.get(SERVICE_FIELDS.get(e.field, e.field), ""),
                            "field": SERVICE_FIELDS.get(e.field, e.field),
                            "message": str(e.message),
                        }
                    )
        return errors


def group_by_version(sheet_rows: list[SheetRow]) -> dict[TemplateVersion, list[SheetRow]]:
    groups: dict[TemplateVersion, list[SheetRow]] = {}
    for s in sheet_rows:
        if s.version is not None:
            groups.setdefault(s.version, []).append(s)
    return groups


STAGE_ORDER = [Stage.PREPARING, Stage.UNDER_REVIEW, Stage.NEEDS_INFO, Stage.OPENED, Stage.REJECTED]
