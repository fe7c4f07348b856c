"""LinkStar's generic JSON webhook, and the integration webhooks of issue 6.

Headers: ``Content-Type: application/json; charset=utf-8``, ``User-Agent: LinkStar/1``,
``X-LinkStar-Timestamp: <unix seconds>`` and, when the channel has a secret,
``X-LinkStar-Signature: sha256=<hex HMAC-SHA256(key=secret, msg=f"{timestamp}.".encode() + body)>``
(the scheme of Stripe and Slack: the timestamp is signed with the body so a captured request
cannot be replayed later; a receiver should refuse a timestamp more than 5 minutes away and
compare signatures in constant time).

Chat message body (``version`` 1)::

    {"version": 1, "title": "任务已逾期：上传营业执照", "lines": ["项目：…", "截止：…"],
     "url": "https://…", "mentions": [{"name": "…", "mobile": "…", "user_id": "…"}],
     "sent_at": "2025-03-01T08:00:00Z"}

Any 2xx answer means delivered; the body of the answer is not read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from ._common import json_bytes, json_headers
from .types import Mention, PreparedRequest

VERSION = 1
SIGNATURE_HEADER = "X-LinkStar-Signature"
TIMESTAMP_HEADER = "X-LinkStar-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed(url: str, secret: str, body: bytes, now: dt.datetime) -> PreparedRequest:
    timestamp = str(int(now.timestamp()))
    headers = json_headers() | {TIMESTAMP_HEADER: timestamp}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
    return PreparedRequest(url=url, headers=headers, body=body)


def build(*, url: str, secret: str, message, mentions: list[Mention], now) -> PreparedRequest:
    document = {
        "version": VERSION,
        "title": message.title,
        "lines": list(message.lines),
        "url": message.url,
        "mentions": [{"name": m.name, "mobile": m.mobile, "user_id": m.user_id} for m in mentions],
        "sent_at": iso_utc(now),
    }
    return _signed(url, secret, json_bytes(document), now)


def build_event(*, url: str, secret: str, payload: dict, now: dt.datetime) -> PreparedRequest:
    return _signed(url, secret, json_bytes(payload), now)
