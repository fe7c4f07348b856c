"""Reads of the delivery app, scoped to the actor's organization, at a fixed query cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from linkstar.accounts.models import Membership
from linkstar.core import policy
from linkstar.core.exceptions import NotFound
from linkstar.delivery.models import Channel, ChatHandle, Delivery, DeliveryAttempt

if TYPE_CHECKING:
    from linkstar.core.actors import Actor


def channel_list(*, actor: Actor, kind: str | None = None) -> QuerySet[Channel]:
    policy.require(actor, "channel.manage")
    qs = Channel.objects.filter(organization_id=actor.organization.pk).select_related(
        "project", "created_by"
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name", "pk")


def channel_get(*, actor: Actor, channel_id) -> Channel:
    """A channel of the actor's organization (another's → NotFound), for an administrator."""
    channel = (
        Channel.objects.filter(organization_id=actor.organization.pk, pk=channel_id)
        .select_related("project", "created_by")
        .first()
    )
    if channel is None:
        raise NotFound()
    policy.require(actor, "channel.manage", channel)
    return channel


def delivery_list(
    *,
    actor: Actor,
    channel: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    event: int | None = None,
    with_attempts: bool = True,
) -> QuerySet[Delivery]:
    """The delivery log, newest first; each row with its attempts (one more query)."""
    policy.require(actor, "delivery.view")
    qs = Delivery.objects.filter(organization_id=actor.organization.pk).select_related(
        "channel", "recipient"
    )
    if channel:
        qs = qs.filter(channel_id=channel)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if event:
        qs = qs.filter(event_id=event)
    if with_attempts:
        qs = qs.prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("at", "pk"))
        )
    return qs.order_by("-created_at", "-pk")


def delivery_get(*, actor: Actor, delivery_id) -> Delivery:
    delivery = (
        Delivery.objects.filter(organization_id=actor.organization.pk, pk=delivery_id)
        .select_related("channel", "recipient")
        .prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("at", "pk"))
        )
        .first()
    )
    if delivery is None:
        raise NotFound()
    policy.require(actor, "delivery.view", delivery)
    return delivery


def chat_handles(*, actor: Actor) -> list[tuple]:
    """``(membership, handle or None)`` for the members whose chat IDs the actor may see: every
    member for an administrator, oneself for anyone else."""

    members = Membership.objects.filter(organization_id=actor.organization.pk).select_related(
        "user"
    )
    if not actor.is_admin:
        members = members.filter(user_id=actor.user_id)
    members = list(members.order_by("user__name", "user__email"))
    handles = {
        h.user_id: h
        for h in ChatHandle.objects.filter(
            organization_id=actor.organization.pk, user_id__in=[m.user_id for m in members]
        )
    }
    return [(m, handles.get(m.user_id)) for m in members]
