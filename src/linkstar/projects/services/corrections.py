"""Undoing and correcting finished work: reopening a task that was done or not applicable, and
returning a done task for correction (退回修改).

A platform rejects a document after its task was done; a step marked not applicable turns out to
apply. The task opens again (in progress if it had started, else to do), no longer counts as
finished, and the person doing it is told why. The project's stage does not move back by itself:
it moves only through its own machine (a person moves it, e.g. to 需补料).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.audit.services import Entry, record, record_many
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import (
    FieldError,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
    check_version,
)
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects import selectors
from linkstar.projects.models import Task, TaskStatus
from linkstar.projects.rules import REOPENABLE, RETURNABLE
from linkstar.projects.services import status as task_status
from linkstar.projects.services.lifecycle import require_active
from linkstar.projects.services.tasks import _lock_task

# The person who finished a task may reopen it themselves this long after.
ASSIGNEE_REOPEN_WINDOW = dt.timedelta(days=1)
KEEP, RESET = "keep", "reset"


def may_reopen(actor: Actor, task: Task, *, now: dt.datetime | None = None) -> bool:
    """The project's manager (or an admin) may reopen a finished task; its assignee within a day
    of finishing it."""
    if policy.can(actor, "task.plan", task):
        return True
    now = now or timezone.now()
    return (
        actor.user_id is not None
        and task.assignee_id == actor.user_id
        and task.completed_at is not None
        and now - task.completed_at <= ASSIGNEE_REOPEN_WINDOW
        and policy.can(actor, "task.work", task)
    )


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(FieldError("reason", message))
    return reason


def not_reopenable(task: Task) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("Only a done or not applicable task can be reopened; this one is %(s)s.")
        % {"s": TaskStatus(task.status).label}
    )


def reopened_status(task: Task) -> str:
    """The status a reopened task takes: in progress if it had started, else to do."""
    return TaskStatus.IN_PROGRESS if task.started_at else TaskStatus.TODO


@transaction.atomic
def reopen_task(
    *,
    actor: Actor,
    task: Task,
    reason: str,
    dependants: str = KEEP,
    version: int | None = None,
) -> Task:
    """Reopen a done or not-applicable task, with a reason. ``dependants``: what happens to the
    tasks after it that have started (see ``selectors.started_dependants``): ``keep`` them as
    they are, or ``reset`` them to to-do (the manager's choice; those awaiting approval keep
    waiting — withdraw their request first)."""
    task = _lock_task(task)
    if not may_reopen(actor, task):
        raise PermissionDenied(
            _(
                "Only the project's manager, an administrator, or the person who finished the "
                "task within a day may reopen it."
            ),
            code="permission_denied",
        )
    check_version(task, version)
    require_active(task.project)
    reason = _reason(reason, _("Say why the task is reopened."))
    if dependants not in (KEEP, RESET):
        raise InvalidInput(
            FieldError("dependants", _("Choose whether the later tasks are kept or reset."))
        )
    if dependants == RESET:
        policy.require(actor, "task.plan", task)
    if task.status not in REOPENABLE:
        raise not_reopenable(task)
    reset = _reset_dependants(actor, task, reason) if dependants == RESET else []
    before = {"status": task.status, "skip_reason": task.skip_reason or None}
    task_status.reopen([task], to=reopened_status(task))
    task.version += 1
    task.save()
    record(
        actor=actor,
        action="task.reopened",
        obj=task,
        project_id=task.project_id,
        changes={
            "status": {"before": before["status"], "after": task.status},
            "reason": {"before": None, "after": reason},
            **(
                {"skip_reason": {"before": before["skip_reason"], "after": None}}
                if before["skip_reason"]
                else {}
            ),
            **({"reset": {"before": None, "after": [t.title for t in reset]}} if reset else {}),
        },
    )
    _tell_assignee(actor, task, how="reopened", reason=reason)
    return task


def _reset_dependants(actor: Actor, task: Task, reason: str) -> list[Task]:
    """The started tasks after ``task`` back to to-do (all but those awaiting approval)."""
    ids = [
        t.pk for t in selectors.started_dependants(task) if t.status != TaskStatus.AWAITING_APPROVAL
    ]
    tasks = list(Task.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if not tasks:
        return []
    before = {t.pk: t.status for t in tasks}
    finished = [t for t in tasks if t.status in (TaskStatus.DONE, TaskStatus.SKIPPED)]
    task_status.reopen(finished, to=TaskStatus.TODO)
    task_status.back_to_todo([t for t in tasks if t not in finished])
    now = timezone.now()
    for t in tasks:
        t.version += 1
        t.updated_at = now
    Task.objects.bulk_update(
        tasks, ["status", "completed_at", "skip_reason", "version", "updated_at"]
    )
    record_many(
        actor=actor,
        entries=[
            Entry(
                action="task.updated",
                object_type="task",
                object_id=t.pk,
                object_repr=str(t),
                project_id=t.project_id,
                changes={
                    "status": {"before": before[t.pk], "after": TaskStatus.TODO},
                    "reason": {
                        "before": None,
                        "after": _("“%(task)s” was reopened: %(reason)s")
                        % {"task": task.display_title, "reason": reason},
                    },
                },
            )
            for t in tasks
        ],
    )
    return tasks


@transaction.atomic
def return_for_correction(
    *, actor: Actor, task: Task, reason: str, version: int | None = None
) -> Task:
    """A reviewer (or the project's manager, or an admin) sends a done task back with what to
    fix: it is in progress again and its assignee is told."""
    task = _lock_task(task)
    policy.require(actor, "task.return", task)
    check_version(task, version)
    require_active(task.project)
    reason = _reason(reason, _("Say what needs to be fixed."))
    if task.status not in RETURNABLE:
        raise TransitionNotAllowed(
            _("Only a done task can be returned for correction; this one is %(s)s.")
            % {"s": TaskStatus(task.status).label}
        )
    before = task.status
    task_status.reopen([task], to=TaskStatus.IN_PROGRESS)
    task.version += 1
    task.save()
    record(
        actor=actor,
        action="task.returned",
        obj=task,
        project_id=task.project_id,
        changes={
            "status": {"before": before, "after": task.status},
            "reason": {"before": None, "after": reason},
        },
    )
    _tell_assignee(actor, task, how="returned", reason=reason)
    return task


def _tell_assignee(actor: Actor, task: Task, *, how: str, reason: str) -> None:
    if task.assignee_id is None:
        return
    events.publish(
        EventKind.TASK_REOPENED,
        actor=actor,
        task=task,
        obj=task,
        data={"assignee_id": task.assignee_id, "how": how, "reason": reason},
    )
