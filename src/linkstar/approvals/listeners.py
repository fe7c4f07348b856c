"""What approvals does when projects announce a change (``core/announcements.py``)."""

from __future__ import annotations

from linkstar.approvals.requests import open_approval_request
from linkstar.core.announcements import TASK_AWAITS_APPROVAL, listen


@listen(TASK_AWAITS_APPROVAL)
def open_the_request(*, actor, task) -> list:
    """The task's approval request, opened in the completing service's transaction."""
    return [open_approval_request(actor=actor, task=task)]
