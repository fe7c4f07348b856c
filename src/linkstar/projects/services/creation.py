"""Creating store projects, one or a batch: project codes, and every project's tasks and
dependencies written in bulk inserts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.workcalendar import work_calendar
from linkstar.accounts.workdays import WorkCalendar
from linkstar.audit.services import Entry, record_many
from linkstar.catalog.models import Site
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.announcements import PROJECTS_CREATED, announce
from linkstar.core.clock import org_today
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.playbooks.models import TaskBlueprint, TemplateVersion
from linkstar.projects.models import (
    ProjectCodeSequence,
    ProjectStatus,
    Stage,
    StageChange,
    StoreProject,
    Task,
    checklist_items,
)
from linkstar.projects.services.assignment import check_team_roles, plan_assignments
from linkstar.projects.services.rows import ProjectRow, _resolve_version, prepare_rows


def _allocate_codes(organization, prefix: str, count: int) -> list[str]:
    """Hand out ``count`` consecutive numbers for ``prefix``; unique under concurrency because
    the increment is a single UPDATE that locks the row until the transaction ends."""
    seq, _ = ProjectCodeSequence.objects.get_or_create(organization=organization, prefix=prefix)
    ProjectCodeSequence.objects.filter(pk=seq.pk).update(last=F("last") + count)
    last = ProjectCodeSequence.objects.values_list("last", flat=True).get(pk=seq.pk)

    digits = settings.LINKSTAR_PROJECT_CODE_DIGITS
    return [f"{prefix}-{n:0{digits}d}" for n in range(last - count + 1, last + 1)]


def _insert_tasks(
    *,
    organization,
    projects: list[StoreProject],
    starts: list[dt.date],
    blueprints: list[TaskBlueprint],
    assignees: list[dict[str, int | None]],
    now: dt.datetime,
    calendar: WorkCalendar,
) -> None:
    """Insert every project's tasks and their dependencies with two ``executemany`` (what
    ``bulk_create`` would write, field defaults included, without building a model object and
    preparing every value per task: 5,000 projects x 25 tasks in about a second). Each
    blueprint's constant columns are prepared once; only the project, assignee and dates vary.
    Dates count the organization's working days (``calendar``, one walk per start date).
    ``assignees``: per project, role → the user doing that role's tasks."""

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
            checklist=checklist_items(bp.checklist, bp.checklist_en),
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
    spans = [(bp.offset_days, bp.duration_days) for bp in blueprints]
    values = []
    for project, start, team in zip(projects, starts, assignees, strict=True):
        dates = calendar.task_dates(start, spans)
        for bp, template, (task_start, task_due) in zip(blueprints, templates, dates, strict=True):
            row = template.copy()
            row[i_project] = project.pk
            row[i_assignee] = team.get(bp.role)
            row[i_start] = adapt(task_start)
            row[i_due] = adapt(task_due)
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


def _assignment_summary(team: dict[str, int | None], blueprints: list[TaskBlueprint]) -> dict:
    """What the audit shows of a new project's assignments: per role, who and how many tasks."""
    counts: dict[str, int] = {}
    for bp in blueprints:
        if bp.role:
            counts[bp.role] = counts.get(bp.role, 0) + 1
    return {role: {"user_id": team.get(role), "tasks": n} for role, n in sorted(counts.items())}


def materialise(
    *,
    actor: Actor,
    version: TemplateVersion,
    rows: list[ProjectRow],
    sites: dict[str, Site],
    start_date: dt.date,
    audit_action: str,
    team_roles: dict[str, list[int]] | None = None,
) -> list[StoreProject]:
    """Create the projects of ``rows`` with all their tasks and dependencies in bulk inserts,
    each task assigned to the team member holding its role (``assignment.plan_assignments``;
    ``team_roles``, checked, the people chosen per role for the whole batch)."""
    org = actor.organization
    blueprints: list[TaskBlueprint] = list(version.blueprints.order_by("position"))
    plan = plan_assignments(
        organization=org,
        roles=[bp.role for bp in blueprints],
        managers=[row.manager_id for row in rows],
        teams=[sorted(set(row.members) | {row.manager_id} - {None}) for row in rows],
        team_roles=team_roles or {},
    )
    for row, joined in zip(rows, plan.joined, strict=True):
        row.members = sorted(set(row.members) | joined)
    # Offsets and durations are working days of the organization's calendar (loaded once).
    calendar = work_calendar(org.pk)
    spans = [(bp.offset_days, bp.duration_days) for bp in blueprints]
    starts = [row.start_date or start_date for row in rows]
    try:
        finishes = [calendar.finish(start, spans) for start in starts]
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
        organization=org,
        projects=projects,
        starts=starts,
        blueprints=blueprints,
        assignees=plan.assignees,
        now=now,
        calendar=calendar,
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
                    "assignees": {"before": None, "after": _assignment_summary(team, blueprints)},
                },
            )
            for p, row, team in zip(projects, rows, plan.assignees, strict=True)
        ],
    )
    announce(PROJECTS_CREATED, projects=projects)  # association risks, one detection
    events.publish_many(
        EventKind.PROJECT_CREATED,
        actor=actor,
        items=[{"project": p, "obj": p, "data": {"code": p.code}} for p in projects],
    )
    return projects


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
    team_roles: dict[str, list[int]] | None = None,
) -> StoreProject:
    """Create one store project from a published template version, with every task dated from
    the start date (start + offset, + duration, in the organization's working days: see
    ``accounts.workdays``) and its dependencies, and assigned to the team
    member holding the task's role (``team_roles``: role → the people to choose from)."""
    policy.require(actor, "project.create")
    template_version = _resolve_version(actor, template_id, version)
    team_roles = check_team_roles(actor, team_roles)
    row = ProjectRow(
        store_name=store_name,
        entity_id=entity_id,
        site=site,
        manager_id=manager_id,
        members=list(members or []),
    )
    sites = prepare_rows(actor, template_version, [row], batch=False)
    return materialise(
        actor=actor,
        version=template_version,
        rows=[row],
        sites=sites,
        start_date=start_date or org_today(actor.organization),
        audit_action="project.created",
        team_roles=team_roles,
    )[0]


def _check_batch(
    *,
    actor: Actor,
    template_id: int,
    rows: list[ProjectRow],
    members: list[int] | None,
    version: int | None,
    team_roles: dict[str, list[int]] | None = None,
) -> tuple[TemplateVersion, dict[str, Site], dict[str, list[int]]]:
    """Every check of a batch, writing nothing: shared by the creation and its preview."""

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
    sites = prepare_rows(actor, template_version, rows, batch=True)
    return template_version, sites, check_team_roles(actor, team_roles)


def validate_projects_batch(
    *,
    actor: Actor,
    template_id: int,
    rows: list[ProjectRow],
    members: list[int] | None = None,
    version: int | None = None,
    team_roles: dict[str, list[int]] | None = None,
) -> TemplateVersion:
    """The dry run of ``create_projects_batch`` (the batch wizard's preview): the same checks,
    raising the same ``InvalidInput`` naming every bad row, and nothing written. Rows get the
    defaults creation would give them (site, manager, shared members)."""
    return _check_batch(
        actor=actor,
        template_id=template_id,
        rows=rows,
        members=members,
        version=version,
        team_roles=team_roles,
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
    team_roles: dict[str, list[int]] | None = None,
) -> list[StoreProject]:
    """Create many projects at once: all rows or none. Every row's errors are named (422 with
    ``row``); nothing is written unless every row is valid. ``members`` join every project.
    ``team_roles`` (role → people, "operators: carol, dave") spreads each role over the people
    chosen, the least loaded first; the one who takes a project's role joins its team."""
    template_version, sites, team_roles = _check_batch(
        actor=actor,
        template_id=template_id,
        rows=rows,
        members=members,
        version=version,
        team_roles=team_roles,
    )
    return materialise(
        actor=actor,
        version=template_version,
        rows=rows,
        sites=sites,
        start_date=start_date or org_today(actor.organization),
        audit_action="project.created",
        team_roles=team_roles,
    )
