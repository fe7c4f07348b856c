"""The two state machines of DESIGN.md §2, as data."""

from __future__ import annotations

from linkstar.projects.models import Stage, TaskStatus

STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.PREPARING: frozenset({Stage.UNDER_REVIEW, Stage.CANCELLED}),
    Stage.UNDER_REVIEW: frozenset(
        {Stage.NEEDS_INFO, Stage.OPENED, Stage.REJECTED, Stage.CANCELLED}
    ),
    Stage.NEEDS_INFO: frozenset({Stage.UNDER_REVIEW, Stage.CANCELLED}),
    Stage.REJECTED: frozenset({Stage.PREPARING}),
    Stage.OPENED: frozenset(),
    Stage.CANCELLED: frozenset(),
}
CLOSABLE_STAGES = frozenset({Stage.OPENED, Stage.REJECTED, Stage.CANCELLED})

# Moves a person may ask for directly (back to to-do: nobody works on it after all).
# ``awaiting_approval`` is entered by asking for ``done`` on
# a task that needs approval, and left only by the approval's decision; ``skipped`` needs a
# reason and goes through ``skip_task``.
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    TaskStatus.TODO: frozenset({TaskStatus.IN_PROGRESS}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.DONE, TaskStatus.TODO}),
    TaskStatus.AWAITING_APPROVAL: frozenset(),
    TaskStatus.DONE: frozenset(),
    TaskStatus.SKIPPED: frozenset(),
}
SKIPPABLE = frozenset({TaskStatus.TODO, TaskStatus.IN_PROGRESS})
# Finished work that can be opened again (``reopen_task``), or sent back by a reviewer
# (``return_for_correction``); a task that has started is one of ``STARTED``.
REOPENABLE = frozenset({TaskStatus.DONE, TaskStatus.SKIPPED})
RETURNABLE = frozenset({TaskStatus.DONE})
STARTED = frozenset({TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_APPROVAL, TaskStatus.DONE})


def stage_move_allowed(current: str, target: str) -> bool:
    return target in STAGE_TRANSITIONS.get(current, frozenset())
