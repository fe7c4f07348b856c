from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus
from linkstar.approvals.rules import may_decide
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.projects import visibility


def with_decisions(queryset: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    """Requests with their requester and ``decision_list``: each level's decision in order,
    with its decider (two queries whatever the number of requests)."""
    return queryset.select_related("requested_by").prefetch_related(
        Prefetch(
            "decisions",
            queryset=ApprovalDecision.objects.select_related("decided_by").order_by("level"),
            to_attr="decision_list",
        )
    )


def pending_approvals() -> QuerySet[ApprovalRequest]:
    """The approval requests still waiting for a decision, of every organization: for a reader
    that matches them by id in its own query (the inbox puts the notifications asking to decide
    one first), never a list to show anyone."""
    return ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING)


def approval_queryset(actor: Actor) -> QuerySet[ApprovalRequest]:
    return with_decisions(
        ApprovalRequest.objects.filter(
            organization_id=actor.organization.pk,
            project__in=visibility.visible_projects(actor).values("pk"),
        ).select_related("project", "task")
    )


def approval_list(
    *, actor: Actor, mine: bool = False, status: str | None = None
) -> list[ApprovalRequest] | QuerySet:
    qs = approval_queryset(actor).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if not mine:
        return qs
    # Those the caller may decide now: pending, role allows, not requested by them, and no
    # earlier level decided by them (four eyes).
    pending = qs.filter(status=ApprovalStatus.PENDING).exclude(requested_by_id=actor.user_id)
    return [a for a in pending if may_decide(actor, a, {d.decided_by_id for d in a.decision_list})]


def approval_get(*, actor: Actor, approval_id: int) -> ApprovalRequest:
    return policy.get_visible(approval_queryset(actor), pk=approval_id)


def task_approvals(*, task) -> list:
    """The task's approval requests, newest first, with requester and each level's decider."""
    return list(
        with_decisions(
            ApprovalRequest.objects.filter(organization_id=task.organization_id, task=task)
        ).order_by("-created_at", "-id")
    )
