from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from linkstar.audit.models import AuditEvent
from linkstar.core import policy
from linkstar.core.actors import Actor


def audit_list(
    *,
    actor: Actor,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    policy.require(actor, "audit.view")
    qs = AuditEvent.objects.filter(organization_id=actor.organization.pk)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=str(object_id))
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = (
            qs.filter(action__startswith=action)
            if action.endswith(".")
            else qs.filter(action=action)
        )
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.order_by("-seq")


def audit_actions(*, actor: Actor) -> list[str]:
    """The distinct actions recorded in the actor's organization (for the filter's choices)."""
    policy.require(actor, "audit.view")
    return sorted(
        AuditEvent.objects.filter(organization_id=actor.organization.pk)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
