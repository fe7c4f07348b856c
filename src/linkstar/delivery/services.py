"""Writes of the delivery app: channels, chat IDs, retrying and testing deliveries.

Rules: only administrators manage channels and read or retry the delivery log; a member edits
their own chat IDs, an administrator anyone's. A channel's URL and secret are stored encrypted,
never written to the audit trail, and shown back masked only.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.audit.services import diff, record
from linkstar.core import clock, policy
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, NotFound, check_version
from linkstar.delivery import sending
from linkstar.delivery.models import (
    Channel,
    ChannelKind,
    ChatHandle,
    Delivery,
    DeliveryState,
)
from linkstar.delivery.outbox import Message
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import StoreProject

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

NAME_MAX = 100
ID_MAX = 100
_UNSET = object()


# --- validation ------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise InvalidInput(FieldError("url", _("Enter the robot's or endpoint's URL.")))
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidInput(FieldError("url", _("Enter an http:// or https:// URL.")))
    if len(url) > 2000:
        raise InvalidInput(FieldError("url", _("The URL is too long.")))
    return url


def _clean_events(kind: str, events) -> list[str]:
    events = list(dict.fromkeys(str(e) for e in (events or [])))
    unknown = [e for e in events if e not in EventKind.values]
    if unknown:
        raise InvalidInput(
            FieldError("events", _("Unknown event: %(event)s.") % {"event": ", ".join(unknown)})
        )
    if kind == ChannelKind.INTEGRATION and not events:
        raise InvalidInput(
            FieldError("events", _("Choose the events this integration webhook subscribes to."))
        )
    return events


def _clean_project(actor: Actor, project_id):
    if project_id in (None, ""):
        return None

    project = StoreProject.objects.filter(
        organization_id=actor.organization.pk, pk=project_id
    ).first()
    if project is None:
        raise InvalidInput(FieldError("project_id", _("No such project in this organization.")))
    return project


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(FieldError("name", _("Give the channel a name.")))
    if len(name) > NAME_MAX:
        raise InvalidInput(FieldError("name", _("At most 100 characters.")))
    return name


def _clean_secret(kind: str, secret: str) -> str:
    secret = (secret or "").strip()
    if kind in (ChannelKind.WEBHOOK, ChannelKind.INTEGRATION) and not secret:
        raise InvalidInput(
            FieldError("secret", _("A signed webhook needs a secret to sign its payloads with."))
        )
    if len(secret) > 500:
        raise InvalidInput(FieldError("secret", _("The secret is too long.")))
    return secret


def _described(channel: Channel) -> dict:
    """What the audit trail says of a channel: never the URL or the secret themselves."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "project_id": channel.project_id,
        "events": list(channel.events),
        "keywords": list(channel.keywords),
        "enabled": channel.enabled,
    }


KEYWORDS_MAX = 10
KEYWORD_MAX = 20


def _clean_keywords(keywords) -> list[str]:
    """The robot's security keywords: a list, or one string split at commas and spaces."""
    if keywords is None:
        return []
    if isinstance(keywords, str):
        keywords = re.split(r"[,，\s]+", keywords)
    cleaned = list(dict.fromkeys(str(k).strip() for k in keywords if str(k).strip()))
    if len(cleaned) > KEYWORDS_MAX:
        raise InvalidInput(
            FieldError("keywords", _("At most %(n)d keywords.") % {"n": KEYWORDS_MAX})
        )
    if any(len(k) > KEYWORD_MAX for k in cleaned):
        raise InvalidInput(
            FieldError(
                "keywords",
                _("A keyword has at most %(n)d characters.") % {"n": KEYWORD_MAX},
            )
        )
    return cleaned


# --- channels --------------------------------------------------------------------------------


def create_channel(
    *,
    actor: Actor,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    events=None,
    project_id=None,
    enabled: bool = True,
    keywords=None,
) -> Channel:
    """Add a chat robot, signed webhook or integration endpoint (administrators only)."""
    policy.require(actor, "channel.manage")
    if kind not in ChannelKind.values:
        raise InvalidInput(FieldError("kind", _("Choose a kind of channel.")))
    channel = Channel(
        organization=actor.organization,
        kind=kind,
        name=_clean_name(name),
        url=_clean_url(url),
        secret=_clean_secret(kind, secret),
        events=_clean_events(kind, events),
        keywords=_clean_keywords(keywords),
        project=_clean_project(actor, project_id),
        enabled=bool(enabled),
        created_by=actor.user,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with transaction.atomic():
        channel.save()
        record(
            actor=actor,
            action="channel.created",
            obj=channel,
            changes={**_described(channel), "secret": "set" if channel.secret else ""},
        )
    return channel


def update_channel(
    *,
    actor: Actor,
    channel: Channel,
    version: int | None = None,
    name=_UNSET,
    url=_UNSET,
    secret=_UNSET,
    events=_UNSET,
    project_id=_UNSET,
    enabled=_UNSET,
    keywords=_UNSET,
) -> Channel:
    """Change a channel; a URL or secret left out (or empty in the form) stays as it was."""
    policy.require(actor, "channel.manage", channel)
    check_version(channel, version)
    before = _described(channel)
    rotated = []
    if name is not _UNSET:
        channel.name = _clean_name(name)
    if url is not _UNSET and url not in (None, ""):
        channel.url = _clean_url(url)
        rotated.append("url")
    if secret is not _UNSET and secret not in (None, ""):
        channel.secret = _clean_secret(channel.kind, secret)
        rotated.append("secret")
    if events is not _UNSET:
        channel.events = _clean_events(channel.kind, events)
    if project_id is not _UNSET:
        channel.project = _clean_project(actor, project_id)
    if keywords is not _UNSET and keywords is not None:
        channel.keywords = _clean_keywords(keywords)
    if enabled is not _UNSET and enabled is not None:
        channel.enabled = bool(enabled)

    changes = diff(before, _described(channel))
    for what in rotated:
        changes[what] = "changed"  # that it changed, never the value
    with transaction.atomic():
        channel.version += 1
        channel.updated_at = clock.now()
        channel.save()
        record(actor=actor, action="channel.updated", obj=channel, changes=changes)
    return channel


def delete_channel(*, actor: Actor, channel: Channel) -> None:
    """Remove a channel; what it had not sent yet is given up (its log stays)."""
    policy.require(actor, "channel.manage", channel)
    with transaction.atomic():
        Delivery.objects.filter(
            channel=channel,
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.SENDING],
        ).update(
            state=DeliveryState.DEAD,
            last_error=_("The channel was deleted."),
            locked_until=None,
            lease_token="",
        )
        record(
            actor=actor,
            action="channel.deleted",
            obj=channel,
            changes=_described(channel),
        )
        channel.delete()


def send_test_message(*, actor: Actor, channel: Channel) -> Delivery:
    """Send a test message on the channel now and return its delivery (sent, or dead with the
    error): it is logged like any other delivery, and never retried."""

    policy.require(actor, "channel.manage", channel)
    now = clock.now()
    if channel.kind == ChannelKind.INTEGRATION:
        payload = {
            "version": 1,
            "id": str(uuid.uuid4()),
            "event": "test",
            "occurred_at": now.isoformat(),
            "organization": actor.organization.slug,
            "project": None,
            "task": None,
            "data": {"message": "LinkStar test", "by": actor.label},
        }
        summary = _("Test message")
    else:
        message = Message(
            title=_("LinkStar test message"),
            lines=[
                _("Channel: %(name)s") % {"name": channel.name},
                _("Sent by %(who)s") % {"who": actor.label},
            ],
            url=f"{settings.LINKSTAR_BASE_URL}/o/{actor.organization.slug}/",
            mention_user_ids=[actor.user_id] if actor.user_id else [],
        )
        payload = {"message": message.as_dict(), "test": True}
        summary = message.title
    with transaction.atomic():
        delivery = Delivery.objects.create(
            organization=actor.organization,
            channel=channel,
            kind=channel.kind,
            target=channel.name[:254],
            summary=str(summary)[:300],
            payload=payload,
            max_attempts=1,
            created_at=now,
            next_attempt_at=now,
        )
        record(
            actor=actor,
            action="channel.tested",
            obj=channel,
            changes={"delivery_id": delivery.pk},
        )
    return sending.send_now(delivery.pk) or delivery


# --- deliveries ------------------------------------------------------------------------------


def retry_delivery(*, actor: Actor, delivery: Delivery) -> Delivery:
    """Try a failed or given-up delivery again now (one more attempt beyond the limit for a
    dead one); 409 for one that is sent or being sent."""

    policy.require(actor, "delivery.retry", delivery)
    if delivery.state in (DeliveryState.SENT, DeliveryState.SENDING):
        raise Conflict(
            _("This delivery is %(state)s; only failed or given-up deliveries are retried.")
            % {"state": delivery.get_state_display()},
            code="delivery_not_retryable",
        )
    now = clock.now()
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery.pk,
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.DEAD],
        ).update(
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            locked_until=None,
            lease_token="",
            max_attempts=max(delivery.max_attempts, delivery.attempts + 1),
        )
        if not updated:
            raise Conflict(code="delivery_not_retryable")
        record(
            actor=actor,
            action="delivery.retried",
            obj=delivery,
            changes={"state": {"before": delivery.state, "after": DeliveryState.PENDING}},
        )
    return sending.send_now(delivery.pk) or delivery


# --- chat IDs --------------------------------------------------------------------------------


def set_chat_handle(
    *,
    actor: Actor,
    user_id: int,
    mobile: str = "",
    wecom_user_id: str = "",
    dingtalk_user_id: str = "",
    feishu_user_id: str = "",
) -> ChatHandle:
    """A member's IDs for @mentions: their own, or anyone's for an administrator."""

    membership = (
        Membership.objects.select_related("user")
        .filter(organization_id=actor.organization.pk, user_id=user_id)
        .first()
    )
    if membership is None:
        raise NotFound()
    policy.require(actor, "chathandle.edit", membership.user)
    values = {
        "mobile": (mobile or "").strip(),
        "wecom_user_id": (wecom_user_id or "").strip(),
        "dingtalk_user_id": (dingtalk_user_id or "").strip(),
        "feishu_user_id": (feishu_user_id or "").strip(),
    }
    mobile_chars = set("0123456789+- ")
    if values["mobile"] and (
        not set(values["mobile"]) <= mobile_chars or len(values["mobile"]) > 20
    ):
        raise InvalidInput(FieldError("mobile", _("Enter a mobile number (digits, + and -).")))
    for key, value in values.items():
        if len(value) > ID_MAX:
            raise InvalidInput(FieldError(key, _("At most 100 characters.")))
    with transaction.atomic():
        handle = ChatHandle.objects.filter(
            organization_id=actor.organization.pk, user_id=user_id
        ).first() or ChatHandle(organization=actor.organization, user=membership.user)
        old_mobile = handle.mobile
        before = {
            "mobile": "set" if handle.mobile else "",
            "wecom_user_id": handle.wecom_user_id,
            "dingtalk_user_id": handle.dingtalk_user_id,
            "feishu_user_id": handle.feishu_user_id,
        }
        for key, value in values.items():
            setattr(handle, key, value)
        handle.updated_at = clock.now()
        handle.save()
        after = {**values, "mobile": "set" if values["mobile"] else ""}

        changes = diff(before, after)
        if old_mobile and values["mobile"] and old_mobile != values["mobile"]:
            changes["mobile"] = "changed"
        record(
            actor=actor,
            action="chat_handle.updated",
            obj=handle,
            object_type="chathandle",
            changes={"user_id": user_id, **changes},
        )
    return handle
