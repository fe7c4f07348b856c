"""Dates that hold together: a task is never due before a task it depends on, and moving a due
date later moves the open tasks after it — as far as they must, never further than it moved —
in one change, after a preview of what moves and by how much.

The rule for a later task: it moves by the most any task it depends on moved, but only as far as
it needs to start on or after that task's new due date (a task with slack keeps its dates), and
always far enough not to be due before it. Finished tasks keep their dates (they are listed as
kept). Moving a due date earlier moves nothing else.

Moves are counted in the organization's working days (``accounts.workdays``): a task due on
Friday moved to Monday has moved one working day, and a task after it moves one working day too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.workcalendar import work_calendar
from linkstar.audit.services import Entry, record_many
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, check_version
from linkstar.projects import selectors
from linkstar.projects.models import FINISHED_TASK_STATUSES, Task
from linkstar.projects.services.lifecycle import require_active


@dataclass(frozen=True)
class DateMove:
    task: Task
    start_before: dt.date | None
    due_before: dt.date | None
    start_after: dt.date | None
    due_after: dt.date | None
    kept: bool = False  # finished: it keeps its dates though the plan would move it

    @property
    def days(self) -> int:
        if self.due_before is None or self.due_after is None:
            return 0
        return (self.due_after - self.due_before).days


def _plan_of(task: Task) -> tuple[dict[int, Task], dict[int, list[int]]]:
    """The project's tasks by id and, per task, the tasks depending on it: two queries."""
    tasks = {
        t.pk: t
        for t in Task.objects.filter(project_id=task.project_id).only(
            "id",
            "key",
            "title",
            "title_en",
            "status",
            "start_date",
            "due_date",
            "position",
            "version",
            "project_id",
            "organization_id",
        )
    }
    return tasks, selectors.dependants_map(task.project_id)


def dependency_errors(task: Task, due_date: dt.date | None) -> list[FieldError]:
    """A task cannot be due before a task it depends on."""
    if due_date is None:
        return []
    late = [
        d
        for d in task.depends_on.only("title", "title_en", "due_date")
        if d.due_date is not None and d.due_date > due_date
    ]
    if not late:
        return []
    dep = max(late, key=lambda d: d.due_date)
    return [
        FieldError(
            "due_date",
            _("It cannot be due before “%(task)s”, which it depends on (due %(day)s).")
            % {"task": dep.display_title, "day": dep.due_date.isoformat()},
        )
    ]


def plan_reschedule(
    task: Task, *, due_date: dt.date, start_date: dt.date | None = None
) -> list[DateMove]:
    """What moving ``task`` to ``due_date`` (and ``start_date``, default: kept, or moved with the
    due date when it would fall after it) does to the plan: the task's own move first, then the
    later tasks that move (or would, but are finished), in plan order. Nothing is written."""
    tasks, after = _plan_of(task)
    own = tasks[task.pk]
    start = start_date if start_date is not None else own.start_date
    if start is not None and start > due_date:
        start = due_date
    new = {own.pk: (start, due_date)}
    moves = [DateMove(own, own.start_date, own.due_date, start, due_date)]
    if own.due_date is None or due_date <= own.due_date:
        return moves
    calendar = work_calendar(own.organization_id)
    between = calendar.working_days_between
    shift = {own.pk: between(own.due_date, due_date)}
    depends_on: dict[int, list[int]] = {}  # the reverse of ``after``, built once
    for d, later in after.items():
        for pk in later:
            depends_on.setdefault(pk, []).append(d)
    kept = []
    for pk in _order_after(own.pk, after):
        t = tasks[pk]
        if t.start_date is None or t.due_date is None:
            continue
        deps = [d for d in depends_on.get(pk, ()) if d in new]
        if not deps:
            continue
        need = 0
        for d in deps:
            d_due = new[d][1]
            need = max(
                need,
                min(shift.get(d, 0), between(t.start_date, d_due)),
                between(t.due_date, d_due),
            )
        latest = max(new[d][1] for d in deps)
        if need <= 0 and t.due_date >= latest:
            continue
        need = max(need, 1)
        moved = (
            calendar.add_working_days(t.start_date, need),
            calendar.add_working_days(t.due_date, need),
        )
        while moved[1] < latest:  # a dependency due on a day nobody works
            need += 1
            moved = (
                calendar.add_working_days(t.start_date, need),
                calendar.add_working_days(t.due_date, need),
            )
        if t.status in FINISHED_TASK_STATUSES:
            kept.append(DateMove(t, t.start_date, t.due_date, *moved, kept=True))
            continue
        new[pk], shift[pk] = moved, need
        moves.append(DateMove(t, t.start_date, t.due_date, *moved))
    later = sorted(moves[1:] + kept, key=lambda m: (m.task.position, m.task.pk))
    return [moves[0], *later]


def _order_after(root: int, after: dict[int, list[int]]) -> list[int]:
    """The tasks after ``root``, each after every one of them it depends on (Kahn's order on
    the part of the plan reachable from ``root``)."""
    reach = selectors.reachable_after(root, after)
    indegree = {pk: 0 for pk in reach}
    for dep, later in after.items():
        if dep in reach or dep == root:
            for pk in later:
                if pk in reach and dep != root:
                    indegree[pk] += 1
    ready = sorted(pk for pk, n in indegree.items() if n == 0)
    order = []
    while ready:
        pk = ready.pop(0)
        order.append(pk)
        for nxt in after.get(pk, []):
            if nxt in indegree:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
    return order


@transaction.atomic
def reschedule_task(
    *,
    actor: Actor,
    task: Task,
    due_date: dt.date,
    start_date: dt.date | None = None,
    version: int | None = None,
) -> list[DateMove]:
    """Move a task's dates and, with them, the open later tasks that must move (see
    ``plan_reschedule``): one change, each task's move audited. The project's manager (or an
    admin); 422 when the task would be due before a task it depends on."""
    task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    policy.require(actor, "task.plan", task)
    check_version(task, version)
    require_active(task.project)
    if due_date is None:
        raise InvalidInput(FieldError("due_date", _("Choose the new due date.")))
    errors = dependency_errors(task, due_date)
    if start_date is not None and start_date > due_date:
        errors.append(FieldError("start_date", _("The start date cannot be after the due date.")))
    if errors:
        raise InvalidInput(errors)
    moves = [
        m for m in plan_reschedule(task, due_date=due_date, start_date=start_date) if not m.kept
    ]
    ids = [m.task.pk for m in moves]
    locked = {t.pk: t for t in Task.objects.select_for_update().filter(pk__in=ids)}
    now = timezone.now()
    changed, entries = [], []
    for move in moves:
        t = locked[move.task.pk]
        changes = {}
        if t.start_date != move.start_after:
            changes["start_date"] = {"before": t.start_date, "after": move.start_after}
        if t.due_date != move.due_after:
            changes["due_date"] = {"before": t.due_date, "after": move.due_after}
        if not changes:
            continue
        t.start_date, t.due_date = move.start_after, move.due_after
        t.version += 1
        t.updated_at = now
        changed.append(t)
        if t.pk != task.pk:
            changes["moved_with"] = {"before": None, "after": task.title}
        entries.append(
            Entry(
                action="task.updated",
                object_type="task",
                object_id=t.pk,
                object_repr=str(t),
                project_id=t.project_id,
                changes=changes,
            )
        )
    Task.objects.bulk_update(changed, ["start_date", "due_date", "version", "updated_at"])
    record_many(actor=actor, entries=entries)
    return moves
