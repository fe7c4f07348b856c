"""Asking for approval: the request a task needing approval opens when it is done. Its own
module, below the task services that call it (``update_task``, the bulk completion), so that the
decisions (``services.py``), which finish or send back the task, can call those."""

from __future__ import annotations

from django.utils.translation import gettext as _

from linkstar.approvals.models import ApprovalRequest, ApprovalStatus
from linkstar.audit.services import record
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import Task


def open_approval_request(*, actor: Actor, task: Task) -> ApprovalRequest:
    """Called by ``update_task`` (in its transaction) when a task needing approval is done."""
    if task.approval_requests.filter(status=ApprovalStatus.PENDING).exists():
        raise Conflict(
            _("An approval request for this task is already pending."), code="approval_pending"
        )
    approval = ApprovalRequest.objects.create(
        organization=actor.organization,
        task=task,
        project_id=task.project_id,
        levels=task.approval_levels,
        requested_by=actor.user,
    )
    record(
        actor=actor,
        action="approval.requested",
        obj=approval,
        project_id=task.project_id,
        changes={
            "task_id": {"before": None, "after": task.pk},
            "levels": {"before": None, "after": approval.levels},
        },
    )
    events.publish(
        EventKind.APPROVAL_REQUESTED,
        actor=actor,
        task=task,
        obj=approval,
        data={"approval_id": approval.pk, "level": 1, "levels": approval.levels},
    )
    return approval
