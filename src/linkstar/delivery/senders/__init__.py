"""Requests to the team chat robots and signed webhooks, as pure functions.

The outbox (``linkstar.delivery``) calls :func:`build_request` to turn a :class:`Message` into the
exact HTTP request a platform expects, sends it, and calls :func:`check_response` to tell a
delivered message from a refused one. Nothing here touches the database or the network except
:func:`post`, the one small HTTP helper.

Formats, from each platform's public documentation (details in the module of each kind):

- ``wecom``: 企业微信群机器人, ``markdown`` message; ``text`` with ``mentioned_mobile_list`` when
  someone to mention is known only by mobile (see :mod:`.wecom`).
- ``dingtalk``: 钉钉自定义机器人 in signed-secret mode (``timestamp`` + ``sign`` in the query),
  ``markdown`` message with ``at`` (see :mod:`.dingtalk`).
- ``feishu``: 飞书自定义机器人 with signature check (``timestamp`` + ``sign`` in the body),
  ``post`` rich-text message with ``at`` elements (see :mod:`.feishu`).
- ``webhook``: LinkStar's own JSON, signed ``X-LinkStar-Signature: sha256=<hex>`` (see
  :mod:`.webhook`), also used for the integration webhooks of issue 6.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import dingtalk, feishu, webhook, wecom
from ._common import _json_reply, check, send
from .types import Mention, PreparedRequest

if TYPE_CHECKING:
    from linkstar.delivery.outbox import Message

KINDS = ("wecom", "dingtalk", "feishu", "webhook")


def build_request(
    kind: str,
    *,
    url: str,
    secret: str,
    message: Message,
    mentions: list[Mention] | list[Mapping[str, Any]],
    now: datetime,
) -> PreparedRequest:
    """The request that posts ``message`` to the robot at ``url``, signed with ``secret`` (when
    the kind signs and a secret is set) at the moment ``now``."""

    builders = {
        "wecom": wecom.build,
        "dingtalk": dingtalk.build,
        "feishu": feishu.build,
        "webhook": webhook.build,
    }
    try:
        builder = builders[kind]
    except KeyError:
        raise ValueError(f"unknown channel kind: {kind!r}") from None
    # dict.fromkeys: one @ per person even when the message names them twice, order kept.
    people = list(dict.fromkeys(as_mention(kind, mention) for mention in mentions))
    return builder(url=url, secret=secret, message=message, mentions=people, now=now)


def as_mention(kind: str, mention: Mention | Mapping[str, Any]) -> Mention:
    """``mention`` as a :class:`Mention` for ``kind``. A mapping may carry one id per platform
    (``wecom_user_id``, ``dingtalk_user_id``, ``feishu_user_id``) beside ``name`` and ``mobile``;
    the one of ``kind`` is taken. For the generic webhook, ``user_id`` (LinkStar's) is kept."""
    if isinstance(mention, Mention):
        return mention
    own_id = mention.get(f"{kind}_user_id") if kind != "webhook" else mention.get("user_id")
    return Mention(
        name=str(mention.get("name") or ""),
        mobile=str(mention.get("mobile") or ""),
        user_id=str(own_id or ""),
    )


def build_event_request(*, url: str, secret: str, payload: dict, now: datetime) -> PreparedRequest:
    """The request of an integration webhook (issue 6): ``payload`` as UTF-8 JSON, signed like
    the generic ``webhook`` kind."""

    return webhook.build_event(url=url, secret=secret, payload=payload, now=now)


def check_response(kind: str, status: int, body: bytes | str) -> str | None:
    """``None`` when the platform accepted the message, else a short error for the attempt log.
    Kinds other than the three platforms (``webhook``, integration webhooks) only need a 2xx."""

    return check(kind, status, body)


RATE_LIMITED = "rate_limited"
CONFIGURATION = "configuration"

# The platforms' error codes that mean "sending too fast" (wait, do not count the attempt)
# and "the robot is set up so that it refuses us" (retrying cannot help: fail at once, and tell
# the administrator what to change). From the platforms' error-code pages:
# DingTalk https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages (FAQ),
# WeCom https://developer.work.weixin.qq.com/document/path/90313 (全局错误码),
# Feishu https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (常见问题).
RATE_LIMIT_CODES = {
    "dingtalk": {130101},  # send too fast, exceed 20 times per minute
    "wecom": {45009},  # api freq out of limit
    "feishu": {11232},  # frequency limited
}
CONFIGURATION_CODES = {
    # 310000: signature, keyword or IP refused; 300001: access token unknown; 300005: the
    # token does not exist (robot removed); 400013/400101: group or robot disabled.
    "dingtalk": {310000, 300001, 300005, 400013, 400101},
    # 93000: invalid webhook URL (key); 93004: robot disabled; 93008: not in the group.
    "wecom": {93000, 93004, 93008},
    # 19001: bad hook token; 19021: bad signature or stale timestamp; 19022: IP not allowed;
    # 19024: keyword missing.
    "feishu": {19001, 19021, 19022, 19024},
}


def error_code(kind: str, body: bytes | str) -> int | None:
    """The platform's error code in a reply (``errcode`` / ``code`` / ``StatusCode``)."""

    if isinstance(body, str):
        body = body.encode("utf-8")
    reply = _json_reply(body) or {}
    for key in ("errcode", "code", "StatusCode"):
        if isinstance(reply.get(key), int):
            return reply[key]
    return None


def classify(kind: str, status: int | None, body: bytes | str) -> str | None:
    """``RATE_LIMITED``, ``CONFIGURATION`` or None (an ordinary failure: retry with backoff)
    for a refused message. HTTP 429 is rate limiting on every kind."""
    if status == 429:
        return RATE_LIMITED
    code = error_code(kind, body)
    if code in RATE_LIMIT_CODES.get(kind, ()):
        return RATE_LIMITED
    if code in CONFIGURATION_CODES.get(kind, ()):
        return CONFIGURATION
    return None


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-LinkStar-Signature`` for ``body`` sent at ``timestamp`` (unix seconds)."""

    return webhook.signature(secret, timestamp, body)


def post(request: PreparedRequest, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send ``request``; returns (HTTP status, body) for any HTTP answer, 4xx/5xx included.
    Raises ``OSError`` (``urllib.error.URLError``, ``TimeoutError``…) when no answer came."""

    return send(request, timeout=timeout)


__all__ = [
    "KINDS",
    "Mention",
    "PreparedRequest",
    "as_mention",
    "build_event_request",
    "build_request",
    "check_response",
    "classify",
    "error_code",
    "post",
    "sign_webhook",
]
