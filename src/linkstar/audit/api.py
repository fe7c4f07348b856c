from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from linkstar.accounts.web import actor_for
from linkstar.audit import selectors
from linkstar.audit.schemas import AuditEventOut
from linkstar.audit.serializers import audit_event_out
from linkstar.audit.services import verify_chain
from linkstar.core import policy
from linkstar.core.api import ERRORS, Paging, page

router = Router(tags=["audit"])


class AuditList(Schema):
    items: list[AuditEventOut]
    count: int


class AuditFilters(Schema):
    object_type: str | None = None
    object_id: str | None = None
    actor: int | None = None
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class CheckpointOut(Schema):
    seq: int
    hash: str
    at: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_bad_id: int | None
    first_bad_seq: int | None
    reason: str
    kind: str = Field(
        description='What is broken ("" when ok): missing, out_of_order, altered, truncated, '
        "unkeyed, unknown_key, rewritten, rewound, deleted, checkpoint_forged"
    )
    head_seq: int = Field(description="Events in the chain (its newest sequence number).")
    checkpoint: CheckpointOut | None = Field(
        description="The newest signed checkpoint of the chain (outside the database), if any."
    )
    unkeyed_events: int = Field(
        description="Events hashed with the plain SHA-256 of before the keyed hash."
    )
    proves: list[str] = Field(
        description="What a passing verification proves: chain_intact, keyed, matches_checkpoint"
    )
    cannot_prove: list[str] = Field(
        description="What it cannot prove: no_checkpoint, after_checkpoint, unkeyed, key_holder"
    )


@router.get("/orgs/{org}/audit", response={200: AuditList, **ERRORS})
def audit_list(request, org: str, paging: Query[Paging], filters: Query[AuditFilters]):
    """Admins and auditors. Newest first."""
    actor = actor_for(request, org)
    f = filters.model_dump()
    qs = selectors.audit_list(actor=actor, actor_id=f.pop("actor"), **f).select_related("actor")
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda es: [audit_event_out(e) for e in es],
    )


@router.get("/orgs/{org}/audit/verify", response={200: VerifyOut, **ERRORS})
def audit_verify(request, org: str):
    """Recompute the organization's hash chain and compare it with its signed checkpoints;
    ``first_bad_id`` names the first broken event, ``proves``/``cannot_prove`` say what a pass
    means."""
    actor = actor_for(request, org)
    policy.require(actor, "audit.view")
    return verify_chain(organization_id=actor.organization.pk).as_dict()
