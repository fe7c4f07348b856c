"""Changing a project: its details and team, its stage (through the state machine and the
compliance gates), and its closing.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.audit.services import diff, record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.announcements import (
    PROJECTS_CHANGED,
    PROJECTS_CREATED,
    STAGE_MOVING,
    announce,
)
from linkstar.core.exceptions import (
    Conflict,
    FieldError,
    InvalidInput,
    TransitionNotAllowed,
    check_version,
)
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import (
    FINISHED_TASK_STATUSES,
    ProjectStatus,
    Stage,
    StageChange,
    StoreProject,
    Task,
    TaskStatus,
)
from linkstar.projects.rules import CLOSABLE_STAGES, stage_move_allowed
from linkstar.projects.services.rows import MANAGER_ROLES


def lock_project(project: StoreProject) -> StoreProject:
    return (
        StoreProject.objects.select_for_update()
        .select_related("organization", "site")
        .get(pk=project.pk)
    )


def require_active(project: StoreProject) -> None:
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
    project = lock_project(project)
    policy.require(actor, "project.update", project)  # on the locked row, not a stale copy
    check_version(project, version)
    require_active(project)
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
        errors += _store_name_errors(store_name)
        after["store_name"] = store_name.strip()
    if manager_id is not ...:
        errors += _manager_errors(manager_id, memberships)
        after["manager_id"] = manager_id
    if members is not None:
        errors += _members_errors(members, memberships)
        after["member_ids"] = sorted(set(members))
    after["start_date"], after["planned_finish"] = _new_dates(before, start_date, planned_finish)
    if after["planned_finish"] < after["start_date"]:
        errors.append(
            FieldError("planned_finish", _("The planned finish cannot be before the start date."))
        )
    errors += _same_store_errors(project, before["store_name"], after["store_name"])
    if errors:
        raise InvalidInput(errors)
    changes = diff(before, after)
    if not changes:
        return project
    _carry_to_tasks(project, before, after, changes)
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
    announce(PROJECTS_CHANGED, project_ids=[project.pk])
    return project


def _store_name_errors(store_name: str) -> list[FieldError]:
    if not store_name.strip():
        return [FieldError("store_name", _("A store name is required."))]
    if len(store_name.strip()) > 200:
        return [FieldError("store_name", _("A store name has at most 200 characters."))]
    return []


def _manager_errors(manager_id: int | None, memberships: dict[int, Membership]) -> list[FieldError]:
    """A project's manager (if any) is a manager or an administrator of the organization."""
    if manager_id is None:
        return []
    m = memberships.get(manager_id)
    if m is None or (m.role not in MANAGER_ROLES and not m.is_owner):
        return [
            FieldError(
                "manager_id",
                _("The manager must be a manager or an administrator of the organization."),
            )
        ]
    return []


def _members_errors(members: list[int], memberships: dict[int, Membership]) -> list[FieldError]:
    unknown = [u for u in members if u not in memberships]
    if unknown:
        return [
            FieldError("members", _("Not members of the organization: %(v)s.") % {"v": unknown})
        ]
    return []


def _new_dates(
    before: dict, start_date: dt.date | None, planned_finish: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The new start and planned finish: a moved start moves the finish by as many days, unless
    a finish is given too."""
    start, finish = before["start_date"], before["planned_finish"]
    if start_date is not None:
        start = start_date
        if planned_finish is None:  # the finish follows the start, before it is checked
            finish = before["planned_finish"] + (start_date - before["start_date"])
    if planned_finish is not None:
        finish = planned_finish
    return start, finish


def _same_store_errors(project: StoreProject, old_name: str, new_name: str) -> list[FieldError]:
    """A renamed store is not one the organization already has a live project for on the site."""
    if (
        new_name != old_name
        and StoreProject.objects.filter(
            organization_id=project.organization_id,
            site_id=project.site_id,
            store_name=new_name,
        )
        .exclude(pk=project.pk)
        .exclude(stage=Stage.CANCELLED)
        .exists()
    ):
        return [
            FieldError(
                "store_name",
                _("A project for store %(n)r on %(s)s already exists.")
                % {"n": new_name, "s": project.site.code},
            )
        ]
    return []


def _carry_to_tasks(project: StoreProject, before: dict, after: dict, changes: dict) -> None:
    """What a project change moves in its tasks: the manager's steps and the dates of the tasks
    not started yet."""
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


def move_stage(
    *, actor: Actor, project: StoreProject, stage: str, note: str = "", task: Task | None = None
) -> None:
    """Apply a stage move on a locked project, through the state machine."""
    require_active(project)
    if stage not in Stage.values:
        raise InvalidInput(FieldError("stage", _("Unknown stage %(s)r.") % {"s": stage}))
    if not stage_move_allowed(project.stage, stage):
        raise TransitionNotAllowed(
            _("A project cannot move from %(a)s to %(b)s.")
            % {"a": Stage(project.stage).label, "b": Stage(stage).label}
        )
    announce(STAGE_MOVING, project=project, stage=stage)  # readiness and risk gates
    previous = project.stage
    now = clock.now()
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
    announce(PROJECTS_CHANGED, project_ids=[project.pk])  # its facts and forecast


@transaction.atomic
def change_stage(
    *, actor: Actor, project: StoreProject, stage: str, note: str = "", version: int | None = None
) -> StoreProject:
    """Move a project's stage: preparing → under_review ⇄ needs_info → opened | rejected;
    rejected → preparing; any open stage → cancelled. Nothing else (409)."""
    project = lock_project(project)
    policy.require(actor, "project.stage", project)
    check_version(project, version)
    move_stage(actor=actor, project=project, stage=stage, note=(note or "").strip())
    return project


@transaction.atomic
def close_project(
    *, actor: Actor, project: StoreProject, version: int | None = None
) -> StoreProject:
    """The manager's confirmation (结项): allowed once the project is opened, rejected or
    cancelled and every task is done or skipped."""
    project = lock_project(project)
    policy.require(actor, "project.close", project)
    check_version(project, version)
    require_active(project)
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
    announce(PROJECTS_CHANGED, project_ids=[project.pk])
    return project


def write_imported_stages(rows: list[tuple], changes: list[StageChange]) -> None:
    """The stages an import set on projects it just created: rows of (stage, changed_at,
    project_id), values adapted for the database, and their ``StageChange`` records (the
    importer audits them)."""
    if rows:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(StoreProject._meta.db_table)} SET stage = %s, stage_changed_at = %s, "
                "version = version + 1 WHERE id = %s",
                rows,
            )
    StageChange.objects.bulk_create(changes)


# An administrator may undo a cancellation this long after it.
RESTORE_WINDOW = dt.timedelta(days=30)


def cancellation_of(project: StoreProject) -> StageChange | None:
    """The stage change that cancelled the project, if it is cancelled."""
    if project.stage != Stage.CANCELLED:
        return None
    return (
        StageChange.objects.filter(project=project, to_stage=Stage.CANCELLED)
        .order_by("-at", "-pk")
        .first()
    )


def restorable_until(project: StoreProject) -> dt.datetime | None:
    """Until when a cancelled project can be restored (None: it cannot)."""
    cancelled = cancellation_of(project)
    return cancelled.at + RESTORE_WINDOW if cancelled is not None else None


@transaction.atomic
def restore_project(
    *, actor: Actor, project: StoreProject, note: str = "", version: int | None = None
) -> StoreProject:
    """Undo a cancellation within 30 days (administrators): the project goes back to the stage it
    was cancelled from, active again even if it was closed meanwhile, and its association risks
    are found again. Audited ``project.restored``."""
    project = lock_project(project)
    policy.require(actor, "project.restore", project)
    check_version(project, version)
    cancelled = cancellation_of(project)
    if cancelled is None:
        raise TransitionNotAllowed(
            _("Only a cancelled project can be restored; it is %(s)s.")
            % {"s": Stage(project.stage).label}
        )
    now = timezone.now()
    if now - cancelled.at > RESTORE_WINDOW:
        raise TransitionNotAllowed(
            _(
                "A project can be restored within %(n)d days of its cancellation; it was cancelled on %(d)s."
            )
            % {"n": RESTORE_WINDOW.days, "d": cancelled.at.date().isoformat()}
        )
    note = (note or "").strip()
    before = {"stage": project.stage, "status": project.status}
    project.stage = cancelled.from_stage
    project.stage_changed_at = now
    project.status = ProjectStatus.ACTIVE
    project.closed_at = None
    project.version += 1
    project.save()
    StageChange.objects.create(
        project=project,
        from_stage=Stage.CANCELLED,
        to_stage=project.stage,
        note=note,
        actor_id=actor.user_id,
        at=now,
    )
    changes = {"stage": {"before": before["stage"], "after": project.stage}}
    if before["status"] != project.status:
        changes["status"] = {"before": before["status"], "after": project.status}
    if note:
        changes["note"] = {"before": None, "after": note}
    record(
        actor=actor, action="project.restored", obj=project, changes=changes, project_id=project.pk
    )
    events.publish(
        EventKind.PROJECT_STAGE_CHANGED,
        actor=actor,
        project=project,
        obj=project,
        data={"from": Stage.CANCELLED.value, "to": project.stage, "note": note, "task_key": None},
    )
    announce(PROJECTS_CREATED, projects=[project])  # its association risks, again
    return project
