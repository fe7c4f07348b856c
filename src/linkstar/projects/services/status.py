"""The one writer of a task's status.

Every change of ``Task.status`` goes through a function here — start, back to to-do, complete,
approval asked / approved / rejected / withdrawn, skip, reopen, return for correction, import,
template upgrade — and so does each project's ``finished_task_count`` that follows from it.
Nothing else assigns ``Task.status`` or writes it in SQL.

The functions take tasks already checked and locked by the calling service (which checks the
permission, writes the audit and publishes the events); they set the status and its timestamps
on the objects (the caller saves them) and move the finished counts in the database at once, one
statement for a whole batch.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, Value, When

from linkstar.projects.models import FINISHED_TASK_STATUSES, StoreProject, Task, TaskStatus


def start(tasks: Iterable[Task], *, now: dt.datetime) -> None:
    """To do → in progress (a task keeps the time it first started)."""
    for task in tasks:
        task.status = TaskStatus.IN_PROGRESS
        task.started_at = task.started_at or now


def back_to_todo(tasks: Iterable[Task]) -> None:
    """In progress → to do: nobody is working on it after all."""
    for task in tasks:
        task.status = TaskStatus.TODO


def await_approval(tasks: Iterable[Task]) -> None:
    """Done was asked for on a task that needs approval: it waits for the decision."""
    for task in tasks:
        task.status = TaskStatus.AWAITING_APPROVAL


def send_back(tasks: Iterable[Task]) -> None:
    """Awaiting approval → in progress: the request was rejected or withdrawn."""
    for task in tasks:
        task.status = TaskStatus.IN_PROGRESS


def finish(
    tasks: Iterable[Task],
    *,
    now: dt.datetime,
    status: str = TaskStatus.DONE,
    skip_reason: str = "",
) -> None:
    """Done (or not applicable, with its reason): counted as finished on its project."""
    assert status in FINISHED_TASK_STATUSES
    tasks = list(tasks)
    for task in tasks:
        task.status = status
        task.completed_at = now
        if status == TaskStatus.SKIPPED:
            task.skip_reason = skip_reason
    _move_counts(Counter(t.project_id for t in tasks))


def reopen(tasks: Iterable[Task], *, to: str) -> None:
    """A finished task (done or not applicable) is open again, in progress or to do: no longer
    counted as finished. Its completion time and skip reason go; the audit keeps them."""
    assert to in (TaskStatus.IN_PROGRESS, TaskStatus.TODO)
    tasks = list(tasks)
    finished = [t for t in tasks if t.status in FINISHED_TASK_STATUSES]
    for task in tasks:
        task.status = to
        task.completed_at = None
        task.skip_reason = ""
    _move_counts(Counter({pid: -n for pid, n in Counter(t.project_id for t in finished).items()}))


def recount(project_ids: Iterable[int]) -> None:
    """Set the projects' finished counts from their tasks (after a change of many tasks at once,
    e.g. a template upgrade that adds and skips tasks)."""
    ids = list(project_ids)
    counts = dict(
        Task.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(n=Count("id", filter=Q(status__in=FINISHED_TASK_STATUSES)))
        .values_list("project_id", "n")
    )
    for pid in ids:
        StoreProject.objects.filter(pk=pid).update(finished_task_count=counts.get(pid, 0))


def write_imported(rows: list[tuple], finished: dict[int, int]) -> None:
    """The task states an import brought for projects it just created, in two statements: each
    row is (status, assignee_id, start_date, due_date, started_at, completed_at, skip_reason,
    updated_at, task_id), values already adapted for the database; ``finished``: project id →
    its number of finished tasks (a new project's tasks were all to do before)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if rows:
            cursor.executemany(
                f"UPDATE {qn(Task._meta.db_table)} SET status = %s, assignee_id = %s, "
                "start_date = %s, due_date = %s, started_at = %s, completed_at = %s, "
                "skip_reason = %s, updated_at = %s, version = version + 1 WHERE id = %s",
                rows,
            )
        if finished:
            cursor.executemany(
                f"UPDATE {qn(StoreProject._meta.db_table)} SET finished_task_count = %s "
                "WHERE id = %s",
                [(n, pk) for pk, n in finished.items()],
            )


def _move_counts(per_project: Counter) -> None:
    """Each project's ``finished_task_count`` moved by its delta: one UPDATE for all."""
    per_project = {pk: n for pk, n in per_project.items() if n}
    if not per_project:
        return
    StoreProject.objects.filter(pk__in=per_project).update(
        finished_task_count=F("finished_task_count")
        + Case(
            *(When(pk=pk, then=Value(n)) for pk, n in per_project.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
