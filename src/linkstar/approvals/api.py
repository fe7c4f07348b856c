from __future__ import annotations

from ninja import Query, Router

from linkstar.accounts.web import actor_for
from linkstar.approvals import selectors, services
from linkstar.approvals.schemas import ApprovalList, ApprovalOut, DecideIn, WithdrawIn
from linkstar.core.api import ERRORS, Paging, page

router = Router(tags=["approvals"])


def approval_out(a) -> dict:
    decisions = getattr(a, "decision_list", None)
    if decisions is None:
        decisions = list(a.decisions.order_by("level"))
    return {
        "id": a.pk,
        "task_id": a.task_id,
        "project_id": a.project_id,
        "status": a.status,
        "levels": a.levels,
        "current_level": a.current_level,
        "requested_by": a.requested_by_id,
        "created_at": a.created_at,
        "decisions": [
            {
                "level": d.level,
                "decided_by": d.decided_by_id,
                "decision": d.decision,
                "comment": d.comment,
                "at": d.at,
            }
            for d in decisions
        ],
    }


@router.get("/orgs/{org}/approvals", response={200: ApprovalList, **ERRORS})
def approval_list(
    request, org: str, paging: Query[Paging], mine: bool = False, status: str | None = None
):
    """``?mine=true``: the requests the caller may decide now."""
    actor = actor_for(request, org)
    return page(
        selectors.approval_list(actor=actor, mine=mine, status=status),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda items: [approval_out(a) for a in items],
    )


@router.get("/orgs/{org}/approvals/{approval_id}", response={200: ApprovalOut, **ERRORS})
def approval_get(request, org: str, approval_id: int):
    actor = actor_for(request, org)
    return approval_out(selectors.approval_get(actor=actor, approval_id=approval_id))


@router.post("/orgs/{org}/approvals/{approval_id}/decide", response={200: ApprovalOut, **ERRORS})
def approval_decide(request, org: str, approval_id: int, payload: DecideIn):
    """403 ``four_eyes`` when the caller requested it or decided an earlier level."""
    actor = actor_for(request, org)
    approval = selectors.approval_get(actor=actor, approval_id=approval_id)
    services.decide_approval(
        actor=actor, approval=approval, decision=payload.decision, comment=payload.comment
    )
    return approval_out(selectors.approval_get(actor=actor, approval_id=approval_id))


@router.post("/orgs/{org}/approvals/{approval_id}/withdraw", response={200: ApprovalOut, **ERRORS})
def approval_withdraw(request, org: str, approval_id: int, payload: WithdrawIn):
    """Take back a pending request (the requester or the project's manager): the task is in
    progress again. 409 ``approval_decided`` once its last level is decided."""
    actor = actor_for(request, org)
    approval = selectors.approval_get(actor=actor, approval_id=approval_id)
    services.withdraw_approval(actor=actor, approval=approval, reason=payload.reason)
    return approval_out(selectors.approval_get(actor=actor, approval_id=approval_id))
