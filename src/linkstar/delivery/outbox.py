"""The outbox's entry points for the rest of LinkStar.

Each call inserts rows in the caller's transaction; after commit a job sends them (and the
``delivery.deliver_due`` sweep picks up any whose job was lost). A slow or dead channel therefore
never blocks, nor fails, the request that caused the event.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import ngettext

from linkstar.core import clock, jobs
from linkstar.delivery import ratelimit
from linkstar.delivery.messages import ORG_LANGUAGE
from linkstar.delivery.models import (
    CHAT_KINDS,
    EMAIL,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryState,
)


@dataclass
class Message:
    """A notification as a chat robot or a mail shows it, already in its reader's language."""

    title: str  # one line: "任务已逾期：上传营业执照"
    lines: list[str] = field(default_factory=list)  # project, task, due date … one fact per line
    url: str = ""  # absolute link to the page (settings.LINKSTAR_BASE_URL + path)
    mention_user_ids: list[int] = field(default_factory=list)  # @ them where the robot can

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Message:
        return cls(
            title=str(data.get("title", "")),
            lines=[str(line) for line in data.get("lines") or []],
            url=str(data.get("url") or ""),
            mention_user_ids=[int(u) for u in data.get("mention_user_ids") or []],
        )


def _enqueue_on_commit(ids: list[int]) -> None:
    """After commit, one job sends the rows of this transaction (the sweep is the safety net)."""
    if not ids:
        return

    def enqueue() -> None:
        try:
            jobs.enqueue("delivery.send_deliveries", ids)
        except Exception:  # the sweep sends them anyway
            logging.getLogger(__name__).warning("could not enqueue deliveries %s", ids)

    transaction.on_commit(enqueue)


def _max_attempts() -> int:
    return max(1, settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS)


def queue_chat(*, event, message: Message) -> list:
    """One delivery per enabled chat channel (WeCom, DingTalk, Feishu, generic webhook) of the
    event's organization, and of its project when the channel is per project, that takes
    ``event.kind``. Returns the Delivery rows. An event already queued on a channel is not
    queued there twice (a fan-out that ran again after a crash)."""

    return _queue_on_channels(
        event,
        kinds=CHAT_KINDS,
        summary=message.title,
        payload=lambda: {"message": message.as_dict()},
    )


def queue_chat_batch(*, events: list, message_for) -> list:
    """One delivery per enabled chat channel for the events of one batch that it takes (a
    per-project channel takes only its project's): ``message_for(events)`` makes the message
    (a summary when several). The delivery hangs on the first of them, so a fan-out that ran
    again after a crash queues nothing twice. Returns the Delivery rows."""

    if not events:
        return []
    first = events[0]
    channels = Channel.objects.filter(
        organization_id=first.organization_id, enabled=True, kind__in=CHAT_KINDS
    )
    rows = []
    now = clock.now()
    for channel in channels:
        taken = [
            e
            for e in events
            if (channel.project_id is None or channel.project_id == e.project_id)
            and channel.takes(e.kind)
        ]
        if not taken:
            continue
        if Delivery.objects.filter(event_id=taken[0].pk, channel=channel).exists():
            continue
        message = message_for(taken)
        waiting = _merge_into_waiting(channel, message.as_dict())
        if waiting is not None:
            rows.append(waiting)
            continue
        row = Delivery(
            organization_id=first.organization_id,
            channel=channel,
            event_id=taken[0].pk,
            kind=channel.kind,
            target=channel.name[:254],
            summary=message.title[:300],
            payload={"message": message.as_dict()},
            max_attempts=_max_attempts(),
            created_at=now,
            next_attempt_at=now,
        )
        row.save()
        rows.append(row)
    _enqueue_on_commit([r.pk for r in rows])
    return rows


def _queue_on_channels(event, *, kinds, summary: str, payload) -> list:
    """One delivery per enabled channel of ``kinds`` of the event's organization (and of its
    project, for a per-project channel) that takes ``event.kind``, skipping the channels the
    event is already queued on (a fan-out that ran again after a crash). ``payload`` is called
    once, only when some channel takes the event."""

    channels = [
        c
        for c in Channel.objects.filter(
            organization_id=event.organization_id, enabled=True, kind__in=kinds
        )
        if (c.project_id is None or c.project_id == event.project_id) and c.takes(event.kind)
    ]
    if not channels:
        return []
    done = set(
        Delivery.objects.filter(event_id=event.pk, channel__in=channels).values_list(
            "channel_id", flat=True
        )
    )
    body = payload()
    now = clock.now()
    rows, merged = [], []
    for c in channels:
        if c.pk in done:
            continue
        waiting = _merge_into_waiting(c, body["message"]) if "message" in body else None
        if waiting is not None:
            merged.append(waiting)
            continue
        rows.append(
            Delivery(
                organization_id=event.organization_id,
                channel=c,
                event_id=event.pk,
                kind=c.kind,
                target=c.name[:254],
                summary=summary[:300],
                payload=body,
                max_attempts=_max_attempts(),
                created_at=now,
                next_attempt_at=now,
            )
        )
    for row in rows:
        row.save()
    _enqueue_on_commit([r.pk for r in rows])
    return rows + merged


def _merge_into_waiting(channel, message: dict):
    """When a rate-limited robot already has a message waiting for room (the platform's limit
    reached), ``message`` joins it rather than queueing behind it: the waiting message becomes
    one listing the titles of all. Only a pending row that no worker holds is changed. Returns
    the row, or None when nothing waits."""

    if not ratelimit.limited(channel.kind):
        return None
    now = clock.now()
    waiting = (
        Delivery.objects.filter(
            channel=channel,
            state=DeliveryState.PENDING,
            lease_token="",
            next_attempt_at__gt=now,
            payload__has_key="message",
        )
        .order_by("next_attempt_at", "pk")
        .first()
    )
    if waiting is None:
        return None
    payload = dict(waiting.payload)
    parts = payload.get("merged") or [payload["message"]]
    parts = [*parts, message]
    mentions = list(
        dict.fromkeys(uid for part in parts for uid in part.get("mention_user_ids") or [])
    )
    with translation.override(ORG_LANGUAGE):
        title = ngettext("%(count)d notification", "%(count)d notifications", len(parts)) % {
            "count": len(parts)
        }
    payload["merged"] = parts
    payload["message"] = Message(
        title=title,
        lines=[part.get("title", "") for part in parts],
        url=parts[0].get("url", ""),
        mention_user_ids=mentions,
    ).as_dict()
    updated = Delivery.objects.filter(
        pk=waiting.pk, state=DeliveryState.PENDING, lease_token=""
    ).update(payload=payload, summary=title[:300])
    if not updated:  # a worker took it meanwhile: the new message goes on its own
        return None
    waiting.payload = payload
    return waiting


def queue_email(
    *,
    user,
    subject: str,
    body: str,
    organization,
    event=None,
    not_before=None,
    coalesce: bool = False,
) -> object:
    """One mail to ``user`` (plain text ``body``; an HTML alternative is derived), not sent
    before ``not_before`` (quiet hours) when given. With ``coalesce``, mails of one event kind
    to one person close together become one: when one of that kind went to them less than
    ``LINKSTAR_MAIL_COALESCE_MINUTES`` ago, this one waits for the end of that window, and any
    others of the kind that come meanwhile join the same mail, which lists them all. Call
    inside the active language of the reader. Returns the Delivery row."""

    if event is not None:  # a fan-out that ran again after a crash mails once
        existing = Delivery.objects.filter(
            event_id=event.pk, recipient_id=user.pk, kind=EMAIL
        ).first()
        if existing is not None:
            return existing
    now = clock.now()
    due = max(now, not_before) if isinstance(not_before, dt.datetime) else now
    kind = getattr(event, "kind", "") or ""
    item = {"subject": subject, "body": body}
    if coalesce and kind:
        joined = _join_waiting_mail(user, organization, kind, item)
        if joined is not None:
            return joined
        window = dt.timedelta(minutes=settings.LINKSTAR_MAIL_COALESCE_MINUTES)
        last = (
            Delivery.objects.filter(
                organization_id=organization.pk,
                recipient_id=user.pk,
                kind=EMAIL,
                payload__event_kind=kind,
                created_at__gt=now - window,
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None:
            due = max(due, last + window)
    payload = {
        "subject": subject,
        "body": body,
        "language": getattr(user, "language", "") or settings.LANGUAGE_CODE,
    }
    if kind:
        payload["event_kind"] = kind
    if coalesce and kind:
        payload["items"] = [item]
    delivery = Delivery.objects.create(
        organization_id=organization.pk,
        recipient=user,
        event_id=getattr(event, "pk", None),
        kind=EMAIL,
        target=user.email[:254],
        summary=subject[:300],
        payload=payload,
        max_attempts=_max_attempts(),
        created_at=now,
        not_before=not_before,
        next_attempt_at=due,
    )
    if due <= now:
        _enqueue_on_commit([delivery.pk])
    return delivery


def _join_waiting_mail(user, organization, kind: str, item: dict):
    """Add ``item`` to the person's mail of ``kind`` still waiting to go (not yet claimed by a
    worker: the update only touches a pending row without a lease). Returns it, or None."""

    now = clock.now()
    waiting = (
        Delivery.objects.filter(
            organization_id=organization.pk,
            recipient_id=user.pk,
            kind=EMAIL,
            state=DeliveryState.PENDING,
            lease_token="",
            next_attempt_at__gt=now,
            payload__event_kind=kind,
            payload__has_key="items",
        )
        .order_by("next_attempt_at")
        .first()
    )
    if waiting is None:
        return None
    payload = dict(waiting.payload)
    items = [*payload.get("items", []), item]
    n = len(items)
    payload["items"] = items
    payload["subject"] = ngettext(
        "%(count)d notification: %(first)s", "%(count)d notifications: %(first)s", n
    ) % {"count": n, "first": items[0]["subject"]}
    payload["body"] = "\n\n".join(
        [payload["subject"], *(f"— {i['subject']}\n{i['body']}" for i in items)]
    )
    updated = Delivery.objects.filter(
        pk=waiting.pk, state=DeliveryState.PENDING, lease_token=""
    ).update(payload=payload, summary=payload["subject"][:300])
    if not updated:  # a worker took it meanwhile: this one goes on its own
        return None
    waiting.payload = payload
    return waiting


def event_payload(event) -> dict:
    """The versioned JSON an integration webhook receives for an event (issue 6 §4)."""
    project = event.project if event.project_id else None
    task = event.task if event.task_id else None
    return {
        "version": 1,
        "id": str(event.uuid),
        "event": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "organization": event.organization.slug,
        "project": (
            {
                "id": project.pk,
                "code": project.code,
                "store_name": project.store_name,
                "site": project.site.code,
                "stage": project.stage,
                "status": project.status,
            }
            if project
            else None
        ),
        "task": (
            {
                "id": task.pk,
                "key": task.key,
                "title": task.title,
                "status": task.status,
                "assignee_id": task.assignee_id,
                "due_date": task.due_date.isoformat() if task.due_date else None,
            }
            if task
            else None
        ),
        "data": event.data or {},
    }


def queue_webhooks(*, event) -> list:
    """One delivery per integration webhook subscribed to ``event.kind`` (issue 6): the
    versioned JSON payload of the event, signed when sent. Returns the Delivery rows."""

    return _queue_on_channels(
        event,
        kinds=[ChannelKind.INTEGRATION],
        summary=event.kind,
        payload=lambda: event_payload(event),
    )
