"""Approvals: N levels, each decided by someone other than the requester and the deciders of
earlier levels (four eyes). Approving the last level completes the task; rejecting at any level
sends it back to ``in_progress`` with the reason."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus, Decision
from linkstar.approvals.rules import four_eyes_refusal, may_withdraw
from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, PermissionDenied
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import Task
from linkstar.projects.services import status as task_status
from linkstar.projects.services.lifecycle import require_active
from linkstar.projects.services.tasks import finish_task


@transaction.atomic
def decide_approval(
    *, actor: Actor, approval: ApprovalRequest, decision: str, comment: str = ""
) -> ApprovalRequest:
    """Decide the current level. Reviewers, admins and the project's manager decide; never the
    requester, never someone who decided an earlier level (403 ``four_eyes``)."""

    approval = (
        ApprovalRequest.objects.select_for_update()
        .select_related("project", "task")
        .get(pk=approval.pk)
    )
    policy.require(actor, "approval.decide", approval)
    comment = (comment or "").strip()
    if decision not in Decision.values:
        raise InvalidInput(FieldError("decision", _("Decision is 'approve' or 'reject'.")))
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(
            _("This request was already %(s)s.") % {"s": approval.status}, code="approval_decided"
        )
    require_active(approval.project)
    earlier = set(approval.decisions.values_list("decided_by_id", flat=True))
    refusal = four_eyes_refusal(actor.user_id, approval, earlier)
    if refusal:
        raise PermissionDenied(refusal, code="four_eyes")
    if decision == Decision.REJECT and not comment:
        raise InvalidInput(FieldError("comment", _("Say why you reject it.")))
    now = timezone.now()
    level = approval.current_level
    ApprovalDecision.objects.create(
        request=approval,
        level=level,
        decided_by=actor.user,
        decision=decision,
        comment=comment,
        at=now,
    )
    task = Task.objects.select_for_update().select_related("project").get(pk=approval.task_id)
    task_before = task.status
    if decision == Decision.REJECT:
        approval.status = ApprovalStatus.REJECTED
        approval.decided_at = now
        task_status.send_back([task])
    elif level < approval.levels:
        approval.current_level = level + 1
    else:
        approval.status = ApprovalStatus.APPROVED
        approval.decided_at = now
        finish_task(actor=actor, task=task)
    approval.save()
    if task.status != task_before:
        task.version += 1
        task.save()
        record(
            actor=actor,
            action="task.updated",
            obj=task,
            project_id=task.project_id,
            changes={
                "status": {"before": task_before, "after": task.status},
                **(
                    {"reason": {"before": None, "after": comment}}
                    if decision == Decision.REJECT
                    else {}
                ),
            },
        )
    action = "approval.approved" if decision == Decision.APPROVE else "approval.rejected"
    record(
        actor=actor,
        action=action,
        obj=approval,
        project_id=approval.project_id,
        changes={
            "level": {"before": None, "after": level},
            "decision": {"before": None, "after": decision},
            "comment": {"before": None, "after": comment},
            "status": {"before": "pending", "after": approval.status},
        },
    )
    decided = {
        "approval_id": approval.pk,
        "level": level,
        "levels": approval.levels,
        "decision": decision,
        "status": approval.status,
        "comment": comment,
        "requested_by": approval.requested_by_id,
    }
    events.publish(EventKind.APPROVAL_DECIDED, actor=actor, task=task, obj=approval, data=decided)
    if approval.status == ApprovalStatus.PENDING:  # the next level now waits for its decider
        events.publish(
            EventKind.APPROVAL_REQUESTED,
            actor=actor,
            task=task,
            obj=approval,
            data={
                "approval_id": approval.pk,
                "level": approval.current_level,
                "levels": approval.levels,
                "decided_by": sorted(earlier | {actor.user_id}),
            },
        )
    return approval


@transaction.atomic
def withdraw_approval(
    *, actor: Actor, approval: ApprovalRequest, reason: str = ""
) -> ApprovalRequest:
    """Take back a request for approval before its last level is decided (sent too early, or
    the work needs more): the task is in progress again. The requester or the project's
    manager."""

    approval = (
        ApprovalRequest.objects.select_for_update()
        .select_related("project", "task__project")
        .get(pk=approval.pk)
    )
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(
            _("This request was already %(s)s.") % {"s": approval.get_status_display()},
            code="approval_decided",
        )
    if not may_withdraw(actor, approval):
        raise PermissionDenied(
            _(
                "Only the person who asked for this approval or the project's manager may withdraw it."
            )
        )
    require_active(approval.project)
    reason = (reason or "").strip()
    now = timezone.now()
    approval.status = ApprovalStatus.WITHDRAWN
    approval.decided_at = now
    approval.save()
    task = Task.objects.select_for_update().select_related("project").get(pk=approval.task_id)
    before = task.status
    task_status.send_back([task])
    task.version += 1
    task.save()
    record(
        actor=actor,
        action="approval.withdrawn",
        obj=approval,
        project_id=approval.project_id,
        changes={
            "status": {"before": "pending", "after": approval.status},
            "level": {"before": None, "after": approval.current_level},
            **({"reason": {"before": None, "after": reason}} if reason else {}),
        },
    )
    record(
        actor=actor,
        action="task.updated",
        obj=task,
        project_id=task.project_id,
        changes={"status": {"before": before, "after": task.status}},
    )
    return approval
