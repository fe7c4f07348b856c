"""The delivery API: channels (chat robots, webhooks, integrations) and the delivery log."""

from __future__ import annotations

from ninja import Query, Router, Status

from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS, Paging, page
from linkstar.delivery import selectors, services
from linkstar.delivery.models import DeliveryState
from linkstar.delivery.schemas import (
    ChannelIn,
    ChannelList,
    ChannelOut,
    ChannelPatch,
    DeliveryFilters,
    DeliveryList,
    DeliveryOut,
)

router = Router(tags=["delivery: channels and the delivery log"])


def channel_out(channel) -> dict:
    return {
        "id": channel.pk,
        "kind": channel.kind,
        "name": channel.name,
        "url_masked": channel.masked_url,
        "secret_masked": channel.masked_secret,
        "events": list(channel.events or []),
        "project_id": channel.project_id,
        "enabled": channel.enabled,
        "keywords": list(channel.keywords or []),
        "problem": channel.problem_hint,
        "created_by": channel.created_by_id,
        "created_at": channel.created_at,
        "version": channel.version,
    }


def delivery_out(delivery) -> dict:
    waiting = delivery.state in (DeliveryState.PENDING, DeliveryState.FAILED)
    return {
        "id": delivery.pk,
        "kind": delivery.kind,
        "channel_id": delivery.channel_id,
        "channel_name": delivery.channel.name if delivery.channel_id else None,
        "recipient_id": delivery.recipient_id,
        "target": delivery.target,
        "summary": delivery.summary,
        "event_id": delivery.event_id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "max_attempts": delivery.max_attempts,
        "created_at": delivery.created_at,
        "not_before": delivery.not_before,
        "next_attempt_at": delivery.next_attempt_at if waiting else None,
        "sent_at": delivery.sent_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "attempt_log": [
            {
                "at": a.at,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in delivery.attempt_log.all()
        ],
    }


@router.get("/orgs/{org}/channels", response={200: ChannelList, **ERRORS})
def channel_list(request, org: str, paging: Query[Paging], kind: str = ""):
    """The organization's channels, secrets masked (administrators)."""
    actor = actor_for(request, org)
    qs = selectors.channel_list(actor=actor, kind=kind or None)
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda rows: [channel_out(c) for c in rows],
    )


@router.post("/orgs/{org}/channels", response={201: ChannelOut, **ERRORS})
def channel_create(request, org: str, payload: ChannelIn):
    """Add a channel (administrators; audited without its URL or secret)."""
    actor = actor_for(request, org)
    channel = services.create_channel(actor=actor, **payload.model_dump())
    return Status(201, channel_out(channel))


@router.get("/orgs/{org}/channels/{channel_id}", response={200: ChannelOut, **ERRORS})
def channel_get(request, org: str, channel_id: int):
    actor = actor_for(request, org)
    return channel_out(selectors.channel_get(actor=actor, channel_id=channel_id))


@router.patch("/orgs/{org}/channels/{channel_id}", response={200: ChannelOut, **ERRORS})
def channel_update(request, org: str, channel_id: int, payload: ChannelPatch):
    """Change a channel; ``url`` and ``secret`` only when sent; 409 ``stale_version``."""
    actor = actor_for(request, org)
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    fields = payload.model_dump(exclude_unset=True)
    channel = services.update_channel(actor=actor, channel=channel, **fields)
    return channel_out(channel)


@router.delete("/orgs/{org}/channels/{channel_id}", response={204: None, **ERRORS})
def channel_delete(request, org: str, channel_id: int):
    """Remove a channel; its unsent deliveries are given up, its log stays."""
    actor = actor_for(request, org)
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    services.delete_channel(actor=actor, channel=channel)
    return Status(204, None)


@router.post("/orgs/{org}/channels/{channel_id}/test", response={200: DeliveryOut, **ERRORS})
def channel_test(request, org: str, channel_id: int):
    """Send a test message now and answer with its delivery: ``state`` ``sent``, or ``dead``
    with ``last_error`` and the attempt (status code, duration)."""
    actor = actor_for(request, org)
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    delivery = services.send_test_message(actor=actor, channel=channel)
    return delivery_out(selectors.delivery_get(actor=actor, delivery_id=delivery.pk))


@router.get("/orgs/{org}/deliveries", response={200: DeliveryList, **ERRORS})
def delivery_list(request, org: str, paging: Query[Paging], filters: Query[DeliveryFilters]):
    """The delivery log, newest first, each with its attempts (administrators)."""
    actor = actor_for(request, org)
    qs = selectors.delivery_list(actor=actor, **filters.model_dump())
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda rows: [delivery_out(d) for d in rows],
    )


@router.post("/orgs/{org}/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS})
def delivery_retry(request, org: str, delivery_id: int):
    """Try a failed or given-up delivery again now; 409 ``delivery_not_retryable`` when it is
    sent or being sent."""
    actor = actor_for(request, org)
    delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    services.retry_delivery(actor=actor, delivery=delivery)
    return delivery_out(selectors.delivery_get(actor=actor, delivery_id=delivery_id))
