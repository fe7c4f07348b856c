"""Working on tasks: their status, assignee, dates and checklist, finishing (which may move
the project's stage) and skipping.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linkstar.accounts.models import Membership
from linkstar.audit.services import diff, record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.announcements import (
    TASK_AWAITS_APPROVAL,
    TASK_COMPLETING,
    TASK_DOCUMENT_GAPS,
    announce,
    gather,
)
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
from linkstar.projects.models import FINISHED_TASK_STATUSES, Task, TaskStatus
from linkstar.projects.rules import SKIPPABLE, TASK_TRANSITIONS
from linkstar.projects.services import status as task_status
from linkstar.projects.services.lifecycle import lock_project, move_stage, require_active
from linkstar.projects.services.schedule import dependency_errors, plan_reschedule


def _lock_task(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("project").get(pk=task.pk)


def _check_dependencies(task: Task, verb: str) -> None:
    waiting = list(
        task.depends_on.exclude(status__in=FINISHED_TASK_STATUSES).values_list("key", "title")
    )
    refuse_waiting(task, verb, waiting)


def refuse_waiting(task: Task, verb: str, waiting: list[tuple[str, str]]) -> None:
    """A task cannot start or finish while a task it depends on is open: ``waiting`` holds the
    (key, title) of those open ones."""
    if waiting:
        raise DependencyNotDone(
            _("Cannot %(verb)s %(task)r: waiting for %(deps)s.")
            % {"verb": verb, "task": task.key, "deps": ", ".join(f"{k} ({t})" for k, t in waiting)}
        )


def assignee_errors(actor: Actor, assignee_id: int | None) -> list[FieldError]:
    """An assignee must be a member of the organization (None clears the assignee)."""
    if (
        assignee_id is None
        or Membership.objects.filter(organization=actor.organization, user_id=assignee_id).exists()
    ):
        return []
    return [FieldError("assignee_id", _("The assignee must be a member of the organization."))]


def date_errors(task: Task) -> list[FieldError]:
    if task.start_date and task.due_date and task.due_date < task.start_date:
        return [FieldError("due_date", _("The due date cannot be before the start date."))]
    return []


def check_transition(task: Task, status: str) -> None:
    """Status moves only along ``TASK_TRANSITIONS`` (todo → in_progress → done)."""
    if status not in TaskStatus.values:
        raise InvalidInput(FieldError("status", _("Unknown status %(s)r.") % {"s": status}))
    if status not in TASK_TRANSITIONS[task.status]:
        raise TransitionNotAllowed(
            _("A task cannot move from %(a)s to %(b)s.")
            % {"a": TaskStatus(task.status).label, "b": TaskStatus(status).label}
        )


def check_skip(task: Task, reason: str) -> str:
    """A skip needs a reason, and a task not yet finished or awaiting approval. Returns the
    reason, stripped."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(FieldError("reason", _("Say why the task does not apply.")))
    if task.status not in SKIPPABLE:
        raise TransitionNotAllowed(
            _("A task that is %(s)s cannot be skipped.") % {"s": TaskStatus(task.status).label}
        )
    return reason


def finish_task(
    *, actor: Actor, task: Task, status: str = TaskStatus.DONE, skip_reason: str = ""
) -> None:
    """Mark a locked task done or skipped (the caller saves it), count it on the project, and
    apply its ``sets_stage`` through the stage state machine."""
    project = lock_project(task.project)
    task_status.finish([task], now=timezone.now(), status=status, skip_reason=skip_reason)
    if status == TaskStatus.DONE:
        events.publish(
            EventKind.TASK_DONE, actor=actor, project=project, task=task, obj=task, data={}
        )
    if status == TaskStatus.DONE and task.sets_stage and project.stage != task.sets_stage:
        move_stage(actor=actor, project=project, stage=task.sets_stage, task=task)


def _completion_gaps(task: Task, *, reason: str | None, ask: bool) -> dict:
    """What is missing as a task is completed: unticked checklist items and (with a reason)
    the documents missing or expired — recorded with the task's audit entry, so that nothing
    passes silently. ``ask`` (the pages): without a reason, an incomplete task is refused with
    409 ``completion_unconfirmed`` for the person to confirm or finish it."""
    reason = (reason or "").strip()
    unticked = [item.get("text", "") for item in task.checklist if not item.get("done")]
    gaps = gather(TASK_DOCUMENT_GAPS, task=task) if (reason or ask) else []
    if ask and not reason and (unticked or gaps):
        raise Conflict(
            _("Not everything is there yet: confirm with a reason, or finish it first."),
            code="completion_unconfirmed",
        )
    found = {}
    if unticked:
        found["unticked"] = unticked
    if reason and gaps:
        found["missing_documents"] = gaps
    if reason and found:
        found["confirm_reason"] = reason
    return found


def _refuse_moving_later_tasks(task: Task, due_date, start_date) -> None:
    """A due date moved so far that open later tasks would be due before it goes through
    ``reschedule_task``, which moves them too (409 ``later_tasks_move`` naming them)."""
    moves = [
        m
        for m in plan_reschedule(
            task, due_date=due_date, start_date=start_date if start_date is not ... else None
        )[1:]
        if not m.kept
    ]
    if moves:
        raise Conflict(
            ngettext(
                "Moving it to %(day)s moves %(n)d later task too (%(tasks)s): reschedule it.",
                "Moving it to %(day)s moves %(n)d later tasks too (%(tasks)s): reschedule it.",
                len(moves),
            )
            % {
                "day": due_date.isoformat(),
                "n": len(moves),
                "tasks": ", ".join(f"{m.task.display_title} +{m.days}" for m in moves[:5]),
            },
            code="later_tasks_move",
        )


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
    keep_plan_together: bool = False,
    confirm_reason: str | None = None,
    ask_confirmation: bool = False,
) -> Task:
    """Change a task. Status follows todo → in_progress → done; a task cannot start or finish
    while one it depends on is open; ``done`` on a task needing approval opens an approval
    request instead. Assignee and dates are the manager's; status and checklist the team's.
    ``keep_plan_together`` (the pages): a due date that would leave open later tasks due before
    it is refused (409 ``later_tasks_move``) for ``reschedule_task`` to move them all; without
    it (the API's PATCH) only this task moves."""
    task = _lock_task(task)
    project = task.project
    planning = assignee_id is not ... or start_date is not ... or due_date is not ...
    policy.require(actor, "task.plan" if planning else "task.work", task)
    if status is not None or checklist is not None:
        policy.require(actor, "task.work", task)
    check_version(task, version)
    require_active(project)
    before = _audited_fields(task)
    errors = _apply_plan(
        actor,
        task,
        assignee_id=assignee_id,
        start_date=start_date,
        due_date=due_date,
        keep_plan_together=keep_plan_together,
    )
    if checklist is not None:
        errors.extend(_tick_checklist(task, checklist))
    if errors:
        raise InvalidInput(errors)
    approval = None
    completed_despite: dict = {}
    if status is not None and status != task.status:
        check_transition(task, status)
        if status == TaskStatus.IN_PROGRESS:
            _check_dependencies(task, _("start"))
            task_status.start([task], now=timezone.now())
        elif status == TaskStatus.TODO:
            task_status.back_to_todo([task])
        elif status == TaskStatus.DONE:
            _check_dependencies(task, _("finish"))
            completed_despite = _completion_gaps(task, reason=confirm_reason, ask=ask_confirmation)
            # its documents (unless confirmed with a reason), and the stage gate
            announce(
                TASK_COMPLETING,
                task=task,
                documents_confirmed=bool(completed_despite.get("confirm_reason")),
            )
            if task.approval_levels:
                task_status.await_approval([task])
                (approval,) = gather(TASK_AWAITS_APPROVAL, actor=actor, task=task)
            else:
                finish_task(actor=actor, task=task)
    changes = diff(before, _audited_fields(task))
    if not changes:
        return task
    task.version += 1
    task.save()
    if approval is not None:
        changes["approval_request"] = {"before": None, "after": approval.pk}
    for name, value in completed_despite.items():
        changes[name] = {"before": None, "after": value}
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


def _audited_fields(task: Task) -> dict:
    """The fields of a task whose changes ``update_task`` records."""
    return {
        "status": task.status,
        "assignee_id": task.assignee_id,
        "start_date": task.start_date,
        "due_date": task.due_date,
        "checklist": task.checklist,
    }


def _apply_plan(
    actor: Actor,
    task: Task,
    *,
    assignee_id: int | type(...) | None,
    start_date: dt.date | type(...) | None,
    due_date: dt.date | type(...) | None,
    keep_plan_together: bool,
) -> list[FieldError]:
    """The manager's part of a change (``...``: unchanged) set on the task, and its errors:
    an assignee who may not do it, a due date before a dependency's, dates the wrong way round.
    With ``keep_plan_together``, a due date that would leave later tasks behind is refused."""
    errors = []
    if assignee_id is not ...:
        errors.extend(assignee_errors(actor, assignee_id))
        task.assignee_id = assignee_id
    if start_date is not ...:
        task.start_date = start_date
    if due_date is not ... and due_date != task.due_date:
        errors.extend(dependency_errors(task, due_date))
        if keep_plan_together and not errors and due_date is not None:
            _refuse_moving_later_tasks(task, due_date, start_date)
        task.due_date = due_date
    errors.extend(date_errors(task))
    return errors


def _tick_checklist(task: Task, checklist: list[dict]) -> list[FieldError]:
    """The ticks of ``checklist`` set on the task's own items; its items cannot be changed."""
    texts = [item.get("text") for item in task.checklist]
    if [item.get("text") for item in checklist] != texts:
        return [
            FieldError(
                "checklist", _("The checklist items must be the task's items, ticked or not.")
            )
        ]
    task.checklist = [
        {**old, "done": bool(new.get("done"))}
        for old, new in zip(task.checklist, checklist, strict=True)
    ]
    return []


@transaction.atomic
def skip_task(*, actor: Actor, task: Task, reason: str, version: int | None = None) -> Task:
    """Mark a task not applicable (不适用): manager or admin, with a reason; counts as finished."""
    task = _lock_task(task)
    policy.require(actor, "task.skip", task)
    check_version(task, version)
    require_active(task.project)
    reason = check_skip(task, reason)
    previous = task.status
    finish_task(actor=actor, task=task, status=TaskStatus.SKIPPED, skip_reason=reason)
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
