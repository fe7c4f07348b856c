"""Who may decide or withdraw a request for approval: pure rules, no writes.

Four eyes: the current level is decided by someone other than the requester and the deciders of
earlier levels; the role comes from the policy (``approval.decide``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from linkstar.approvals.models import ApprovalRequest, ApprovalStatus
from linkstar.core import policy
from linkstar.core.actors import Actor


def four_eyes_refusal(user_id: int | None, approval: ApprovalRequest, decided_by: set[int]) -> str:
    """Why this person may not decide the current level under the four-eyes rule, or ""."""
    if user_id == approval.requested_by_id:
        return _("You asked for this approval; someone else must decide it.")
    if user_id in decided_by:
        return _("You decided an earlier level; another person must decide this one.")
    return ""


def may_decide(actor: Actor, approval: ApprovalRequest, decided_by: set[int]) -> bool:
    """Whether the actor may decide the current level now (role and four eyes)."""
    return (
        approval.status == ApprovalStatus.PENDING
        and policy.can(actor, "approval.decide", approval)
        and not four_eyes_refusal(actor.user_id, approval, decided_by)
    )


def may_withdraw(actor: Actor, approval: ApprovalRequest, *, works_on: bool | None = None) -> bool:
    """The requester (still on the project) or the project's manager, while it is pending.
    ``works_on``: whether the actor may work on the task, when the caller knows already."""
    if approval.status != ApprovalStatus.PENDING:
        return False
    if actor.user_id == approval.requested_by_id:
        if works_on is None:
            works_on = policy.can(actor, "task.work", approval.task)
        if works_on:
            return True
    return policy.can(actor, "task.plan", approval.task)
