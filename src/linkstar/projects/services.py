"""Every write on store projects, tasks and comments.

Each function checks the policy, validates, runs in one transaction, appends the audit event
and returns the model. Web pages, the API, the CLI and the importers all call these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.audit.services import Entry, diff, record, record_many
from linkstar.catalog.models import Site
from linkstar.compliance import services as compliance
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import (
    Conflict,
    DependencyNotDone,
    FieldError,
    InvalidInput,
    TransitionNotAllowed,
    check_version,
)
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.playbooks.models import TaskBlueprint, Template, TemplateVersion, VersionStatus
from linkstar.playbooks.selectors import visible_templates
from linkstar.projects.models import (
    FINISHED_TASK_STATUSES,
    Comment,
    Mention,
    ProjectCodeSequence,
    ProjectStatus,
    Stage,
    StageChange,
    StoreProject,
    Task,
    TaskStatus,
)
from linkstar.projects.rules import CLOSABLE_STAGES, SKIPPABLE, TASK_TRANSITIONS, stage_move_allowed

MANAGER_ROLES = ("admin", "manager")


# --- project creation ------------------------------------------------------------------------


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
        self.entities = {e.pk: e for e in policy.visible_entities(actor).filter(pk__in=entity_ids)}
        self.memberships = {
            m.user_id: m for m in Membership.objects.filter(organization=org).select_related("user")
        }
        names = {r.store_name.strip() for r in rows if r.store_name}
        self.existing = set(
            StoreProject.objects.filter(organization=org, store_name__in=names)
            .exclude(stage=Stage.CANCELLED)
            .values_list("site__code", "store_name")
        )

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
                % {"s": site_code, "v": ", ".join(sorted(self.template_sites))},
            )
        if row.entity_id is None:
            err("entity_id", _("A seller entity is required."))
        elif row.entity_id not in self.entities:
            err("entity_id", _("Unknown seller entity %(id)s.") % {"id": row.entity_id})
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
                    % {"who": m.user.email, "role": m.role},
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
                    % {"n": name, "s": site_code},
                )
            elif key in seen:
                err(
                    "store_name",
                    _("Store %(n)r on %(s)s appears twice in this batch.")
                    % {"n": name, "s": site_code},
                )
            seen.add(key)
        return errors


def _allocate_codes(organization, prefix: str, count: int) -> list[str]:
    """Hand out ``count`` consecutive numbers for ``prefix``; unique under concurrency because
    the increment is a single UPDATE that locks the row until the transaction ends."""
    seq, _ = ProjectCodeSequence.objects.get_or_create(organization=organization, prefix=prefix)
    ProjectCodeSequence.objects.filter(pk=seq.pk).update(last=F("last") + count)
    last = ProjectCodeSequence.objects.values_list("last", flat=True).get(pk=seq.pk)
    from django.conf import settings

    digits = settings.LINKSTAR_PROJECT_CODE_DIGITS
    return [f"{prefix}-{n:0{digits}d}" for n in range(last - count + 1, last + 1)]


def _insert_tasks(
    *,
    organization,
    projects: list[StoreProject],
    starts: list[dt.date],
    blueprints: list[TaskBlueprint],
    now: dt.datetime,
) -> None:
    """Insert every project's tasks and their dependencies with two ``executemany`` (what
    ``bulk_create`` would write, field defaults included, without building a model object and
    preparing every value per task: 5,000 projects x 25 tasks in about a second). Each
    blueprint's constant columns are prepared once; only the project, assignee and dates vary."""
    from django.db import connection

    if not projects or not blueprints:
        return
    fields = [f for f in Task._meta.concrete_fields if not f.primary_key]
    varying = {"project_id", "assignee_id", "start_date", "due_date"}
    slots = {f.attname: i for i, f in enumerate(fields)}
    templates = []
    for bp in blueprints:
        task = Task(
            organization=organization,
            key=bp.key,
            position=bp.position,
            title=bp.title,
            title_en=bp.title_en,
            description=bp.description,
            description_en=bp.description_en,
            phase=bp.phase,
            role=bp.role,
            approval_levels=bp.approval_levels,
            document_types=bp.document_types,
            checklist=[{"text": item, "done": False} for item in bp.checklist],
            sets_stage=bp.sets_stage,
            created_at=now,
            updated_at=now,
        )
        templates.append(
            [
                None
                if f.attname in varying
                else f.get_db_prep_save(getattr(task, f.attname), connection)
                for f in fields
            ]
        )
    adapt = connection.ops.adapt_datefield_value
    i_project, i_assignee = slots["project_id"], slots["assignee_id"]
    i_start, i_due = slots["start_date"], slots["due_date"]
    values = []
    for project, start in zip(projects, starts, strict=True):
        for bp, template in zip(blueprints, templates, strict=True):
            row = template.copy()
            row[i_project] = project.pk
            row[i_assignee] = project.manager_id if bp.role == "manager" else None
            row[i_start] = adapt(start + dt.timedelta(days=bp.offset_days))
            row[i_due] = adapt(start + dt.timedelta(days=bp.offset_days + bp.duration_days))
            values.append(row)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {qn(Task._meta.db_table)} ({columns}) VALUES ({marks})", values
        )
    if not any(bp.depends_on for bp in blueprints):
        return
    # Ids in one read: the new projects' ids form a range; other rows in it are filtered out.
    mine = {p.pk for p in projects}
    ids = {
        (project_id, key): pk
        for pk, project_id, key in Task.objects.filter(
            organization=organization,
            project_id__gte=min(mine),
            project_id__lte=max(mine),
        ).values_list("pk", "project_id", "key")
        if project_id in mine
    }
    Dep = Task.depends_on.through
    deps = [
        (ids[(project.pk, bp.key)], ids[(project.pk, key)])
        for project in projects
        for bp in blueprints
        for key in bp.depends_on
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {qn(Dep._meta.db_table)} "
            f"({qn(Dep._meta.get_field('from_task').column)}, "
            f"{qn(Dep._meta.get_field('to_task').column)}) VALUES (%s, %s)",
            deps,
        )


def _materialise(
    *,
    actor: Actor,
    version: TemplateVersion,
    rows: list[ProjectRow],
    sites: dict[str, Site],
    start_date: dt.date,
    audit_action: str,
) -> list[StoreProject]:
    """Create the projects of ``rows`` with all their tasks and dependencies in bulk inserts."""
    org = actor.organization
    blueprints: list[TaskBlueprint] = list(version.blueprints.order_by("position"))
    span = dt.timedelta(
        days=max((bp.offset_days + bp.duration_days for bp in blueprints), default=0)
    )
    starts = [row.start_date or start_date for row in rows]
    try:
        finishes = [start + span for start in starts]
    except OverflowError:
        raise InvalidInput(
            FieldError("start_date", _("The plan would end after the year 9999."))
        ) from None
    by_prefix: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_prefix.setdefault(sites[row.site].code_prefix, []).append(i)
    codes: list[str] = [""] * len(rows)
    for prefix, indexes in by_prefix.items():
        for i, code in zip(indexes, _allocate_codes(org, prefix, len(indexes)), strict=True):
            codes[i] = code
    now = timezone.now()
    projects = StoreProject.objects.bulk_create(
        StoreProject(
            organization=org,
            code=codes[i],
            store_name=row.store_name.strip(),
            site=sites[row.site],
            entity_id=row.entity_id,
            manager_id=row.manager_id,
            template_version=version,
            start_date=starts[i],
            planned_finish=finishes[i],
            stage=Stage.PREPARING,
            status=ProjectStatus.ACTIVE,
            stage_changed_at=now,
            created_by_id=actor.user_id,
            task_count=len(blueprints),
        )
        for i, row in enumerate(rows)
    )
    Through = StoreProject.members.through
    Through.objects.bulk_create(
        Through(storeproject_id=p.pk, user_id=uid)
        for p, row in zip(projects, rows, strict=True)
        for uid in sorted(set(row.members))
    )
    n = len(blueprints)
    _insert_tasks(
        organization=org, projects=projects, starts=starts, blueprints=blueprints, now=now
    )
    StageChange.objects.bulk_create(
        StageChange(
            project=p, from_stage="", to_stage=Stage.PREPARING, actor_id=actor.user_id, at=now
        )
        for p in projects
    )
    record_many(
        actor=actor,
        entries=[
            Entry(
                action=audit_action,
                object_type="storeproject",
                object_id=p.pk,
                object_repr=str(p),
                project_id=p.pk,
                changes={
                    "code": {"before": None, "after": p.code},
                    "store_name": {"before": None, "after": p.store_name},
                    "site": {"before": None, "after": p.site.code},
                    "entity_id": {"before": None, "after": p.entity_id},
                    "manager_id": {"before": None, "after": p.manager_id},
                    "template": {"before": None, "after": [version.template_id, version.number]},
                    "start_date": {"before": None, "after": p.start_date},
                    "tasks": {"before": None, "after": n},
                    "member_ids": {"before": None, "after": sorted(set(row.members))},
                },
            )
            for p, row in zip(projects, rows, strict=True)
        ],
    )
    compliance.after_projects_created(projects=projects)  # association risks, one detection
    events.publish_many(
        EventKind.PROJECT_CREATED,
        actor=actor,
        items=[{"project": p, "obj": p, "data": {"code": p.code}} for p in projects],
    )
    return projects


def _prepare_rows(
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


@transaction.atomic
def create_project(
    *,
    actor: Actor,
    template_id: int,
    store_name: str,
    entity_id: int | None,
    version: int | None = None,
    site: str | None = None,
    manager_id: int | None = None,
    start_date: dt.date | None = None,
    members: list[int] | None = None,
) -> StoreProject:
    """Create one store project from a published template version, with every task dated from
    the start date (start + offset, + duration) and its dependencies."""
    policy.require(actor, "project.create")
    template_version = _resolve_version(actor, template_id, version)
    row = ProjectRow(
        store_name=store_name,
        entity_id=entity_id,
        site=site,
        manager_id=manager_id,
        members=list(members or []),
    )
    sites = _prepare_rows(actor, template_version, [row], batch=False)
    return _materialise(
        actor=actor,
        version=template_version,
        rows=[row],
        sites=sites,
        start_date=start_date or org_today(actor.organization),
        audit_action="project.created",
    )[0]


def _check_batch(
    *,
    actor: Actor,
    template_id: int,
    rows: list[ProjectRow],
    members: list[int] | None,
    version: int | None,
) -> tuple[TemplateVersion, dict[str, Site]]:
    """Every check of a batch, writing nothing: shared by the creation and its preview."""
    from django.conf import settings

    policy.require(actor, "project.create")
    if not rows:
        raise InvalidInput(FieldError("rows", _("Give at least one row.")))
    if len(rows) > settings.LINKSTAR_BATCH_MAX_ROWS:
        raise InvalidInput(
            FieldError(
                "rows", _("At most %(n)d rows per batch.") % {"n": settings.LINKSTAR_BATCH_MAX_ROWS}
            )
        )
    template_version = _resolve_version(actor, template_id, version)
    shared = list(members or [])
    for row in rows:
        row.members = sorted(set(row.members) | set(shared))
    sites = _prepare_rows(actor, template_version, rows, batch=True)
    return template_version, sites


def validate_projects_batch(
    *,
    actor: Actor,
    template_id: int,
    rows: list[ProjectRow],
    members: list[int] | None = None,
    version: int | None = None,
) -> TemplateVersion:
    """The dry run of ``create_projects_batch`` (the batch wizard's preview): the same checks,
    raising the same ``InvalidInput`` naming every bad row, and nothing written. Rows get the
    defaults creation would give them (site, manager, shared members)."""
    return _check_batch(
        actor=actor, template_id=template_id, rows=rows, members=members, version=version
    )[0]


@transaction.atomic
def create_projects_batch(
    *,
    actor: Actor,
    template_id: int,
    rows: list[ProjectRow],
    start_date: dt.date | None = None,
    members: list[int] | None = None,
    version: int | None = None,
) -> list[StoreProject]:
    """Create many projects at once: all rows or none. Every row's errors are named (422 with
    ``row``); nothing is written unless every row is valid. ``members`` join every project."""
    template_version, sites = _check_batch(
        actor=actor, template_id=template_id, rows=rows, members=members, version=version
    )
    return _materialise(
        actor=actor,
        version=template_version,
        rows=rows,
        sites=sites,
        start_date=start_date or org_today(actor.organization),
        audit_action="project.created",
    )


# --- project changes -------------------------------------------------------------------------


def _lock_project(project: StoreProject) -> StoreProject:
    return (
        StoreProject.objects.select_for_update()
        .select_related("organization", "site")
        .get(pk=project.pk)
    )


def _require_active(project: StoreProject) -> None:
    if project.status == ProjectStatus.CLOSED:
        raise Conflict(_("Project %(c)s is closed.") % {"c": project.code}, code="project_closed")


@transaction.atomic
def update_project(
    *,
    actor: Actor,
    project: StoreProject,
    version: int | None = None,
    store_name: str | None = None,
    manager_id: int | type(...) | None = ...,
    members: list[int] | None = None,
    start_date: dt.date | None = None,
    planned_finish: dt.date | None = None,
) -> StoreProject:
    """Change a project's store name, manager, team or dates (its manager or an admin).
    Moving the start date moves the dates of the tasks not started yet by the same days."""
    project = _lock_project(project)
    policy.require(actor, "project.update", project)  # on the locked row, not a stale copy
    check_version(project, version)
    _require_active(project)
    before = {
        "store_name": project.store_name,
        "manager_id": project.manager_id,
        "member_ids": sorted(project.members.values_list("pk", flat=True)),
        "start_date": project.start_date,
        "planned_finish": project.planned_finish,
    }
    after = dict(before)
    memberships = {m.user_id: m for m in Membership.objects.filter(organization=actor.organization)}
    errors = []
    if store_name is not None:
        if not store_name.strip():
            errors.append(FieldError("store_name", _("A store name is required.")))
        elif len(store_name.strip()) > 200:
            errors.append(FieldError("store_name", _("A store name has at most 200 characters.")))
        after["store_name"] = store_name.strip()
    if manager_id is not ...:
        m = memberships.get(manager_id) if manager_id is not None else None
        if manager_id is not None and (
            m is None or (m.role not in MANAGER_ROLES and not m.is_owner)
        ):
            errors.append(
                FieldError(
                    "manager_id",
                    _("The manager must be a manager or an administrator of the organization."),
                )
            )
        after["manager_id"] = manager_id
    if members is not None:
        unknown = [u for u in members if u not in memberships]
        if unknown:
            errors.append(
                FieldError("members", _("Not members of the organization: %(v)s.") % {"v": unknown})
            )
        after["member_ids"] = sorted(set(members))
    if start_date is not None:
        after["start_date"] = start_date
        if planned_finish is None:  # the finish follows the start, before it is checked
            after["planned_finish"] = before["planned_finish"] + (start_date - before["start_date"])
    if planned_finish is not None:
        after["planned_finish"] = planned_finish
    if after["planned_finish"] < after["start_date"]:
        errors.append(
            FieldError("planned_finish", _("The planned finish cannot be before the start date."))
        )
    if (
        after["store_name"] != before["store_name"]
        and StoreProject.objects.filter(
            organization_id=project.organization_id,
            site_id=project.site_id,
            store_name=after["store_name"],
        )
        .exclude(pk=project.pk)
        .exclude(stage=Stage.CANCELLED)
        .exists()
    ):
        errors.append(
            FieldError(
                "store_name",
                _("A project for store %(n)r on %(s)s already exists.")
                % {"n": after["store_name"], "s": project.site.code},
            )
        )
    if errors:
        raise InvalidInput(errors)
    changes = diff(before, after)
    if not changes:
        return project
    if "manager_id" in changes:
        # The manager's own steps follow the project to its new manager, unless already done.
        reassigned = project.tasks.filter(role="manager", assignee_id=before["manager_id"]).exclude(
            status__in=FINISHED_TASK_STATUSES
        )
        reassigned.update(assignee_id=after["manager_id"], version=F("version") + 1)
    if "start_date" in changes:
        shift = after["start_date"] - before["start_date"]
        project.tasks.filter(status=TaskStatus.TODO).update(
            start_date=F("start_date") + shift,
            due_date=F("due_date") + shift,
            version=F("version") + 1,
        )
    project.store_name = after["store_name"]
    project.manager_id = after["manager_id"]
    project.start_date = after["start_date"]
    project.planned_finish = after["planned_finish"]
    project.version += 1
    project.save()
    if "member_ids" in changes:
        project.members.set(after["member_ids"])
    record(
        actor=actor, action="project.updated", obj=project, changes=changes, project_id=project.pk
    )
    return project


def _move_stage(
    *, actor: Actor, project: StoreProject, stage: str, note: str = "", task: Task | None = None
) -> None:
    """Apply a stage move on a locked project, through the state machine."""
    _require_active(project)
    if stage not in Stage.values:
        raise InvalidInput(FieldError("stage", _("Unknown stage %(s)r.") % {"s": stage}))
    if not stage_move_allowed(project.stage, stage):
        raise TransitionNotAllowed(
            _("A project cannot move from %(a)s to %(b)s.")
            % {"a": Stage(project.stage).label, "b": Stage(stage).label}
        )
    compliance.check_stage_move(project=project, stage=stage)  # readiness and risk gates
    previous = project.stage
    now = timezone.now()
    project.stage = stage
    project.stage_changed_at = now
    project.version += 1
    project.save(update_fields=["stage", "stage_changed_at", "version", "updated_at"])
    StageChange.objects.create(
        project=project,
        from_stage=previous,
        to_stage=stage,
        note=note,
        actor_id=actor.user_id,
        task=task,
        at=now,
    )
    changes = {"stage": {"before": previous, "after": stage}}
    if note:
        changes["note"] = {"before": None, "after": note}
    if task is not None:
        changes["by_task"] = {"before": None, "after": task.key}
    record(
        actor=actor,
        action="project.stage_changed",
        obj=project,
        changes=changes,
        project_id=project.pk,
    )
    events.publish(
        EventKind.PROJECT_STAGE_CHANGED,
        actor=actor,
        project=project,
        obj=project,
        data={"from": previous, "to": stage, "note": note, "task_key": task.key if task else None},
    )


@transaction.atomic
def change_stage(
    *, actor: Actor, project: StoreProject, stage: str, note: str = "", version: int | None = None
) -> StoreProject:
    """Move a project's stage: preparing → under_review ⇄ needs_info → opened | rejected;
    rejected → preparing; any open stage → cancelled. Nothing else (409)."""
    project = _lock_project(project)
    policy.require(actor, "project.stage", project)
    check_version(project, version)
    _move_stage(actor=actor, project=project, stage=stage, note=(note or "").strip())
    return project


@transaction.atomic
def close_project(
    *, actor: Actor, project: StoreProject, version: int | None = None
) -> StoreProject:
    """The manager's confirmation (项目闭环): allowed once the project is opened, rejected or
    cancelled and every task is done or skipped."""
    project = _lock_project(project)
    policy.require(actor, "project.close", project)
    check_version(project, version)
    _require_active(project)
    if project.stage not in CLOSABLE_STAGES:
        raise TransitionNotAllowed(
            _("A project can be closed once it is opened, rejected or cancelled; it is %(s)s.")
            % {"s": Stage(project.stage).label}
        )
    open_tasks = list(
        project.tasks.exclude(status__in=FINISHED_TASK_STATUSES).values_list("key", flat=True)[:5]
    )
    if open_tasks:
        raise Conflict(
            _("Tasks still open: %(t)s. Finish or skip them first.") % {"t": ", ".join(open_tasks)},
            code="tasks_open",
        )
    project.status = ProjectStatus.CLOSED
    project.closed_at = timezone.now()
    project.version += 1
    project.save(update_fields=["status", "closed_at", "version", "updated_at"])
    record(
        actor=actor,
        action="project.closed",
        obj=project,
        changes={"status": {"before": "active", "after": "closed"}},
        project_id=project.pk,
    )
    events.publish(EventKind.PROJECT_CLOSED, actor=actor, project=project, obj=project)
    return project


# --- tasks -----------------------------------------------------------------------------------


def _lock_task(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("project").get(pk=task.pk)


def _check_dependencies(task: Task, verb: str) -> None:
    waiting = list(
        task.depends_on.exclude(status__in=FINISHED_TASK_STATUSES).values_list("key", "title")
    )
    if waiting:
        raise DependencyNotDone(
            _("Cannot %(verb)s %(task)r: waiting for %(deps)s.")
            % {"verb": verb, "task": task.key, "deps": ", ".join(f"{k} ({t})" for k, t in waiting)}
        )


def finish_task(*, actor: Actor, task: Task, status: str = TaskStatus.DONE) -> None:
    """Mark a locked task done or skipped (the caller saves it), count it on the project, and
    apply its ``sets_stage`` through the stage state machine."""
    project = _lock_project(task.project)
    task.status = status
    task.completed_at = timezone.now()
    StoreProject.objects.filter(pk=project.pk).update(
        finished_task_count=F("finished_task_count") + 1
    )
    if status == TaskStatus.DONE:
        events.publish(
            EventKind.TASK_DONE, actor=actor, project=project, task=task, obj=task, data={}
        )
    if status == TaskStatus.DONE and task.sets_stage and project.stage != task.sets_stage:
        _move_stage(actor=actor, project=project, stage=task.sets_stage, task=task)


@transaction.atomic
def update_task(
    *,
    actor: Actor,
    task: Task,
    version: int | None = None,
    status: str | None = None,
    assignee_id: int | type(...) | None = ...,
    start_date: dt.date | type(...) | None = ...,
    due_date: dt.date | type(...) | None = ...,
    checklist: list[dict] | None = None,
) -> Task:
    """Change a task. Status follows todo → in_progress → done; a task cannot start or finish
    while one it depends on is open; ``done`` on a task needing approval opens an approval
    request instead. Assignee and dates are the manager's; status and checklist the team's."""
    task = _lock_task(task)
    project = task.project
    planning = assignee_id is not ... or start_date is not ... or due_date is not ...
    policy.require(actor, "task.plan" if planning else "task.work", task)
    if status is not None or checklist is not None:
        policy.require(actor, "task.work", task)
    check_version(task, version)
    _require_active(project)
    before = {
        "status": task.status,
        "assignee_id": task.assignee_id,
        "start_date": task.start_date,
        "due_date": task.due_date,
        "checklist": task.checklist,
    }
    errors = []
    if assignee_id is not ...:
        if (
            assignee_id is not None
            and not Membership.objects.filter(
                organization=actor.organization, user_id=assignee_id
            ).exists()
        ):
            errors.append(
                FieldError("assignee_id", _("The assignee must be a member of the organization."))
            )
        task.assignee_id = assignee_id
    if start_date is not ...:
        task.start_date = start_date
    if due_date is not ...:
        task.due_date = due_date
    if task.start_date and task.due_date and task.due_date < task.start_date:
        errors.append(FieldError("due_date", _("The due date cannot be before the start date.")))
    if checklist is not None:
        texts = [item.get("text") for item in task.checklist]
        if [item.get("text") for item in checklist] != texts:
            errors.append(
                FieldError(
                    "checklist", _("The checklist items must be the task's items, ticked or not.")
                )
            )
        else:
            task.checklist = [
                {"text": item["text"], "done": bool(item.get("done"))} for item in checklist
            ]
    if errors:
        raise InvalidInput(errors)
    approval = None
    if status is not None and status != task.status:
        if status not in TaskStatus.values:
            raise InvalidInput(FieldError("status", _("Unknown status %(s)r.") % {"s": status}))
        if status not in TASK_TRANSITIONS[task.status]:
            raise TransitionNotAllowed(
                _("A task cannot move from %(a)s to %(b)s.")
                % {"a": TaskStatus(task.status).label, "b": TaskStatus(status).label}
            )
        if status == TaskStatus.IN_PROGRESS:
            _check_dependencies(task, _("start"))
            task.status = TaskStatus.IN_PROGRESS
            task.started_at = task.started_at or timezone.now()
        elif status == TaskStatus.DONE:
            _check_dependencies(task, _("finish"))
            compliance.check_task_completion(task=task)  # its documents, and the stage gate
            if task.approval_levels:
                from linkstar.approvals.services import open_approval_request

                task.status = TaskStatus.AWAITING_APPROVAL
                approval = open_approval_request(actor=actor, task=task)
            else:
                finish_task(actor=actor, task=task)
    after = {
        "status": task.status,
        "assignee_id": task.assignee_id,
        "start_date": task.start_date,
        "due_date": task.due_date,
        "checklist": task.checklist,
    }
    changes = diff(before, after)
    if not changes:
        return task
    task.version += 1
    task.save()
    if approval is not None:
        changes["approval_request"] = {"before": None, "after": approval.pk}
    record(actor=actor, action="task.updated", obj=task, changes=changes, project_id=project.pk)
    if "assignee_id" in changes and task.assignee_id is not None:
        events.publish(
            EventKind.TASK_ASSIGNED,
            actor=actor,
            task=task,
            obj=task,
            data={"assignee_id": task.assignee_id, "previous_id": before["assignee_id"]},
        )
    return task


@transaction.atomic
def skip_task(*, actor: Actor, task: Task, reason: str, version: int | None = None) -> Task:
    """Mark a task not applicable (不适用): manager or admin, with a reason; counts as finished."""
    task = _lock_task(task)
    policy.require(actor, "task.skip", task)
    check_version(task, version)
    _require_active(task.project)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(FieldError("reason", _("Say why the task does not apply.")))
    if task.status not in SKIPPABLE:
        raise TransitionNotAllowed(
            _("A task that is %(s)s cannot be skipped.") % {"s": TaskStatus(task.status).label}
        )
    previous = task.status
    task.skip_reason = reason
    finish_task(actor=actor, task=task, status=TaskStatus.SKIPPED)
    task.version += 1
    task.save()
    record(
        actor=actor,
        action="task.skipped",
        obj=task,
        project_id=task.project_id,
        changes={
            "status": {"before": previous, "after": "skipped"},
            "reason": {"before": None, "after": reason},
        },
    )
    return task


# --- comments --------------------------------------------------------------------------------


def find_mentions(body: str, memberships) -> list[int]:
    """Members named in ``body`` as ``@email`` or ``@name`` (names may contain spaces).
    At each ``@`` the longest handle wins, so ``@Alice`` does not also mention a member ``Al``
    (no word-boundary test: Chinese text often runs on straight after ``@张伟``)."""
    lowered = body.lower()
    users = [m.user for m in memberships]
    best: dict[int, tuple[int, set[int]]] = {}  # position of the "@" → (length, user ids)
    for user in users:
        for handle in {user.email.lower(), (user.name or "").lower()} - {""}:
            token = f"@{handle}"
            at = lowered.find(token)
            while at != -1:
                length, ids = best.get(at, (0, set()))
                if len(token) > length:
                    best[at] = (len(token), {user.pk})
                elif len(token) == length:
                    ids.add(user.pk)
                at = lowered.find(token, at + 1)
    winners = set().union(*(ids for _length, ids in best.values()))
    return [user.pk for user in users if user.pk in winners]


@transaction.atomic
def add_comment(
    *, actor: Actor, project: StoreProject, body: str, task: Task | None = None
) -> Comment:
    """Comment on a project or one of its tasks; ``@email`` / ``@name`` mentions of members are
    recorded for notification."""
    if task is not None:
        policy.require(actor, "task.comment", task)
    else:
        policy.require(actor, "project.comment", project)
    body = (body or "").strip()
    if not body:
        raise InvalidInput(FieldError("body", _("A comment cannot be empty.")))
    if len(body) > 10000:
        raise InvalidInput(FieldError("body", _("A comment has at most 10,000 characters.")))
    comment = Comment.objects.create(
        organization=actor.organization, project=project, task=task, author=actor.user, body=body
    )
    memberships = Membership.objects.filter(organization=actor.organization).select_related("user")
    mentioned = [uid for uid in find_mentions(body, memberships) if uid != actor.user_id]
    Mention.objects.bulk_create(Mention(comment=comment, user_id=uid) for uid in mentioned)
    record(
        actor=actor,
        action="comment.created",
        obj=comment,
        project_id=project.pk,
        changes={
            "body": {"before": None, "after": body},
            "task_id": {"before": None, "after": task.pk if task else None},
            "mentions": {"before": None, "after": mentioned},
        },
    )
    if mentioned:
        events.publish(
            EventKind.COMMENT_MENTION,
            actor=actor,
            project=project,
            task=task,
            obj=comment,
            data={"user_ids": mentioned, "excerpt": body[:200]},
        )
    return comment
