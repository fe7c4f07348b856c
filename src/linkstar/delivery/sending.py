"""Sending the outbox: claim due rows, send them, log each attempt, retry with backoff.

Safe with several workers at once: a row is *claimed* by writing a lease (``locked_until``) and a
token of the claimer, inside a transaction that on PostgreSQL locks the candidate rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (on SQLite write transactions are serialised); only the
holder of the token records the outcome. A worker that dies mid-send leaves a lease that expires,
and the row is claimed again.

The network part runs in a small thread pool without touching the database, so that one slow or
dead endpoint does not hold up the others in the same sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from linkstar.core import clock
from linkstar.delivery import ratelimit, senders
from linkstar.delivery.mail import build_mail
from linkstar.delivery.models import (
    EMAIL,
    Channel,
    ChannelKind,
    ChatHandle,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
)
from linkstar.delivery.outbox import Message

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass
class Outgoing:
    """What to send for one claimed delivery, built from the database before the network."""

    delivery: Delivery
    token: str
    request: Any = None  # senders.PreparedRequest for HTTP channels
    mail: Any = None  # an EmailMessage for mail
    problem: str = ""  # cannot be sent at all (channel removed, no address): give up at once


@dataclass
class Result:
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    permanent: bool = False
    # The platform refused for sending too fast: wait, and do not count the attempt.
    rate_limited: bool = False
    # The robot's set-up refuses us (signature, keyword, IP, unknown token): permanent too.
    configuration: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


def timeout_seconds() -> int:
    return settings.LINKSTAR_DELIVERY_TIMEOUT_SECONDS


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failure: base, 2 × base, 4 × base …"""
    base = settings.LINKSTAR_DELIVERY_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=base * 2 ** max(0, attempts - 1))


def _lease() -> dt.timedelta:
    # Long enough for one send (connect + read timeouts) and the bookkeeping around it.
    return dt.timedelta(seconds=3 * timeout_seconds() + 30)


def _claimable(now: dt.datetime) -> Q:
    due = Q(state__in=[DeliveryState.PENDING, DeliveryState.FAILED], next_attempt_at__lte=now) & (
        Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    )
    abandoned = Q(state=DeliveryState.SENDING, locked_until__lte=now)
    return due | abandoned


def claim(*, ids: Iterable[int] | None = None, limit: int | None = None) -> list[Outgoing]:
    """Take up to ``limit`` due deliveries (or the given ones, if due) for this caller."""
    now = clock.now()
    limit = limit or settings.LINKSTAR_DELIVERY_BATCH
    token = secrets.token_hex(16)
    with transaction.atomic():
        candidates = Delivery.objects.filter(_claimable(now))
        if ids is not None:
            candidates = candidates.filter(pk__in=list(ids))
        candidates = candidates.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(candidates.values_list("pk", "channel_id", "kind")[:limit])
        if not rows:
            return []
        # A chat robot past its platform's limit: the message waits (no attempt is spent).
        picked, waiting = ratelimit.admit(rows, now)
        by_time: dict[dt.datetime, list[int]] = {}
        for pk, when in waiting.items():
            by_time.setdefault(when, []).append(pk)
        for when, pks in by_time.items():  # one update per channel
            Delivery.objects.filter(pk__in=pks).update(next_attempt_at=when)
        if not picked:
            return []
        Delivery.objects.filter(pk__in=picked).filter(_claimable(now)).update(
            state=DeliveryState.SENDING, locked_until=now + _lease(), lease_token=token
        )
    rows = list(
        Delivery.objects.filter(pk__in=picked, lease_token=token)
        .select_related("channel", "recipient", "organization")
        .order_by("next_attempt_at", "pk")
    )
    return prepare(rows, token)


def prepare(rows: list[Delivery], token: str) -> list[Outgoing]:
    """Build each delivery's request or mail (decrypting channel secrets, resolving @mentions)."""

    mention_ids = {
        uid
        for d in rows
        if d.kind not in (EMAIL, ChannelKind.INTEGRATION)
        for uid in (d.payload.get("message") or {}).get("mention_user_ids") or []
    }
    handles: dict[tuple[int, int], ChatHandle] = {}
    if mention_ids:
        for h in ChatHandle.objects.filter(user_id__in=mention_ids).select_related("user"):
            handles[(h.organization_id, h.user_id)] = h
    out = []
    now = clock.now()
    for d in rows:
        item = Outgoing(delivery=d, token=token)
        try:
            if d.kind == EMAIL:
                item.mail, item.problem = _prepare_mail(d)
            else:
                channel = d.channel
                if channel is None:
                    item.problem = _("The channel was deleted.")
                elif not channel.enabled:
                    item.problem = _("The channel is disabled.")
                elif d.kind == ChannelKind.INTEGRATION:
                    item.request = senders.build_event_request(
                        url=channel.url, secret=channel.secret, payload=d.payload, now=now
                    )
                else:
                    message = with_keywords(
                        Message.from_dict(d.payload.get("message") or {}), channel.keywords
                    )
                    mentions = [
                        handles[(d.organization_id, uid)].as_mention()
                        for uid in message.mention_user_ids
                        if (d.organization_id, uid) in handles
                    ]
                    item.request = senders.build_request(
                        d.kind,
                        url=channel.url,
                        secret=channel.secret,
                        message=message,
                        mentions=mentions,
                        now=now,
                    )
        except Exception as exc:
            log.exception("delivery %s could not be prepared", d.pk)
            item.problem = f"{type(exc).__name__}: {exc}"
        out.append(item)
    return out


def with_keywords(message, keywords) -> object:
    """The message with the robot's security keywords it lacks on a last line: a robot with
    keyword security refuses a message that contains none of them."""
    text = "\n".join([message.title, *message.lines])
    missing = [k for k in keywords or [] if k and k not in text]
    if missing:
        message.lines = [*message.lines, " ".join(missing)]
    return message


def _prepare_mail(d: Delivery):
    user = d.recipient
    if user is None or not user.is_active or not user.email:
        return None, _("The recipient no longer exists or has no address.")
    return build_mail(d, user), ""


# --- the network ---------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot or webhook that redirects is misconfigured: report it, do not follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(request, kind: str) -> Result:
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    http = urllib.request.Request(
        request.url, data=body, headers=dict(request.headers), method="POST"
    )
    started = time.monotonic()
    status: int | None = None
    answer = b""
    try:
        with _opener.open(http, timeout=timeout_seconds()) as response:
            status = response.status
            answer = response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            answer = exc.read(MAX_RESPONSE_BYTES)
        except OSError:
            answer = b""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Result(error=f"{type(exc).__name__}: {reason}"[:2000], duration_ms=_ms(started))
    duration = _ms(started)
    text = answer.decode("utf-8", errors="replace")
    try:
        problem = senders.check_response(kind, status, text)
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    verdict = senders.classify(kind, status, text) if problem else None
    return Result(
        status_code=status,
        error=(problem or "")[:2000],
        duration_ms=duration,
        permanent=verdict == senders.CONFIGURATION,
        configuration=verdict == senders.CONFIGURATION,
        rate_limited=verdict == senders.RATE_LIMITED,
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _mail(message) -> Result:
    started = time.monotonic()
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        code = getattr(exc, "smtp_code", None)
        return Result(
            status_code=code if isinstance(code, int) else None,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            duration_ms=_ms(started),
        )
    return Result(status_code=250, duration_ms=_ms(started))


def transmit(item: Outgoing) -> Result:
    """Send one prepared delivery. Touches no database: runs in worker threads."""
    if item.problem:
        return Result(error=item.problem, permanent=True)
    try:
        if item.mail is not None:
            return _mail(item.mail)
        return _post(item.request, item.delivery.kind)
    except Exception as exc:  # a bug in one sender must not stop the sweep
        log.exception("delivery %s failed unexpectedly", item.delivery.pk)
        return Result(error=f"{type(exc).__name__}: {exc}"[:2000])


def record(item: Outgoing, result: Result) -> str:
    """Log the attempt and move the delivery on: sent, failed (retry later) or dead."""
    d = item.delivery
    now = clock.now()
    if result.rate_limited:
        return _record_rate_limited(item, result, now)
    attempts = d.attempts + 1
    fields: dict[str, Any] = {
        "attempts": F("attempts") + 1,
        "locked_until": None,
        "lease_token": "",
        "last_status_code": result.status_code,
        "last_error": result.error,
    }
    if result.ok:
        state = DeliveryState.SENT
        fields["sent_at"] = now
    elif result.permanent or attempts >= d.max_attempts:
        state = DeliveryState.DEAD
    else:
        state = DeliveryState.FAILED
        fields["next_attempt_at"] = now + backoff(attempts)
    fields["state"] = state
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery_id=d.pk,
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        updated = Delivery.objects.filter(pk=d.pk, lease_token=item.token).update(**fields)
        if updated and d.channel_id and d.kind != EMAIL:
            if result.configuration:
                Channel.objects.filter(pk=d.channel_id).update(problem=result.error[:300])
            elif result.ok:
                Channel.objects.filter(pk=d.channel_id).exclude(problem="").update(problem="")
    return state


def _record_rate_limited(item: Outgoing, result: Result, now: dt.datetime) -> str:
    """The platform said "too fast": the channel is blocked for the platform's block time (with
    jitter) and the message waits, pending, with its attempts unchanged — being limited is not
    a failure of the message, and must never make it ``dead``."""

    d = item.delivery
    until = now + ratelimit.block_for(d.kind)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery_id=d.pk,
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        if d.channel_id:
            Channel.objects.filter(pk=d.channel_id).update(blocked_until=until)
        Delivery.objects.filter(pk=d.pk, lease_token=item.token).update(
            state=DeliveryState.PENDING,
            locked_until=None,
            lease_token="",
            last_status_code=result.status_code,
            last_error=result.error,
            next_attempt_at=until,
        )
    return DeliveryState.PENDING


def _send_all(items: list[Outgoing]) -> list[Result]:
    workers = max(1, min(settings.LINKSTAR_DELIVERY_CONCURRENCY, len(items)))
    if workers == 1:
        return [transmit(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery") as pool:
        return list(pool.map(transmit, items))


def send_due(*, limit: int | None = None, ids: Iterable[int] | None = None) -> dict[str, int]:
    """One batch: claim what is due (of ``ids``, when given), send it, record it. Returns counts
    by outcome."""
    items = claim(limit=limit, ids=ids)
    counts: dict[str, int] = {}
    if not items:
        return counts
    results = _send_all(items)
    for item, result in zip(items, results, strict=True):
        state = record(item, result)
        counts[state] = counts.get(state, 0) + 1
    return counts


def deliver_due(*, max_seconds: float = 50.0) -> dict[str, int]:
    """Batches until nothing is due or ``max_seconds`` have passed (the next sweep goes on)."""
    started = time.monotonic()
    total: dict[str, int] = {}
    while True:
        counts = send_due()
        for state, n in counts.items():
            total[state] = total.get(state, 0) + n
        if sum(counts.values()) < settings.LINKSTAR_DELIVERY_BATCH:
            break
        if time.monotonic() - started > max_seconds:
            break
    return total


def send_ids(ids: list[int]) -> dict[str, int]:
    """Send these deliveries if due and free (the job after the commit that queued them)."""
    total: dict[str, int] = {}
    batch = settings.LINKSTAR_DELIVERY_BATCH
    for start in range(0, len(ids), batch):
        for state, n in send_due(ids=ids[start : start + batch], limit=batch).items():
            total[state] = total.get(state, 0) + n
    return total


def send_now(delivery_id: int) -> Delivery | None:
    """Send one delivery now if it is due and nobody else holds it (the job after commit, the
    "retry now" and "send test message" buttons). Returns the row as it is afterwards."""
    items = claim(ids=[delivery_id], limit=1)
    for item in items:
        record(item, transmit(item))
    return Delivery.objects.filter(pk=delivery_id).first()
