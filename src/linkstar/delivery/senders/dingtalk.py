"""钉钉自定义机器人 (DingTalk custom robot), signed-secret mode (加签).

Documentation: 钉钉开放平台 “自定义机器人安全设置” and “自定义机器人发送群消息”
(https://open.dingtalk.com/document/robots/customize-robot-security-settings,
https://open.dingtalk.com/document/robots/custom-robot-access).

- ``timestamp`` = now in milliseconds; ``sign`` = urlEncode(Base64(HmacSHA256(key=secret,
  msg=f"{timestamp}\\n{secret}"))), both appended to the robot's webhook URL
  (``https://oapi.dingtalk.com/robot/send?access_token=…&timestamp=…&sign=…``); the platform
  refuses a timestamp more than one hour away from its clock. With no secret (keyword or IP
  security), the URL is sent as configured.
- Body ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles",
  "atUserIds", "isAtAll": false}}``; a mention renders only when ``@<mobile>`` / ``@<userId>``
  also appears in ``text``, so the last line of ``text`` lists them. A mention with a ``user_id``
  goes to ``atUserIds``, one known only by mobile to ``atMobiles``.
- Markdown breaks lines only on a blank line, so facts are separated by ``\\n\\n``. The
  title and facts carry people's words (a comment, a store name): markdown characters in them
  are shown as full-width look-alikes (``_common.escape_markdown``), so ``#``, ``[x](url)`` or
  ``<font>`` read as typed.
- Reply: ``{"errcode": 0, "errmsg": "ok"}``; e.g. 310000 for a wrong signature (or a missing
  keyword, or an IP not allowed), 130101 when sending more than 20 messages a minute.
- No size limit is documented for the custom robot; we cap ``text`` at 15,000 bytes, the limit
  DingTalk documents for its app robots' group messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

from ._common import escape_markdown, fit, json_bytes, json_headers, truncate_utf8
from .types import Mention, PreparedRequest

# Not documented for custom robots; 15,000 bytes is the documented limit of app robots.
TEXT_MAX_BYTES = 15000
TITLE_MAX_BYTES = 256


def sign(secret: str, timestamp: str) -> str:
    """The ``sign`` query value before URL encoding (Base64)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, now) -> str:
    timestamp = str(int(now.timestamp() * 1000))
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": sign(secret, timestamp)})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def build(*, url: str, secret: str, message, mentions: list[Mention], now) -> PreparedRequest:
    user_ids = [m.user_id for m in mentions if m.user_id]
    mobiles = [m.mobile for m in mentions if m.mobile and not m.user_id]
    tail_parts = []
    if message.url:
        tail_parts.append(f"[{message.url}]({message.url})")
    if user_ids or mobiles:
        tail_parts.append(" ".join(f"@{who}" for who in [*mobiles, *user_ids]))
    text = fit(
        f"#### {escape_markdown(message.title)}",
        [escape_markdown(line) for line in message.lines],
        "\n\n".join(tail_parts),
        TEXT_MAX_BYTES,
        sep="\n\n",
    )
    document = {
        "msgtype": "markdown",
        "markdown": {"title": truncate_utf8(message.title, TITLE_MAX_BYTES), "text": text},
        "at": {"atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": False},
    }
    return PreparedRequest(
        url=signed_url(url, secret, now) if secret else url,
        headers=json_headers(),
        body=json_bytes(document),
    )
