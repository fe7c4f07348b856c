"""企业微信群机器人 (WeCom group robot).

Documentation: 企业微信开发者中心 “群机器人配置说明”
(https://developer.work.weixin.qq.com/document/path/91770).

- POST the JSON to the robot's webhook URL as configured
  (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``); the ``key`` in it is the secret,
  there is no other signature, so ``secret`` is not used.
- ``{"msgtype": "markdown", "markdown": {"content": …}}``; ``content`` at most 4096 bytes of
  UTF-8. Text and markdown content @-mention a member with the ``<@userid>`` extension; only
  ``text`` has ``mentioned_mobile_list``. (``markdown_v2`` has no @ at all, so we do not use it.)
- When someone to mention is known only by mobile, markdown cannot reach them: we send a ``text``
  message instead, ``{"msgtype": "text", "text": {"content", "mentioned_list",
  "mentioned_mobile_list"}}``, ``content`` at most 2048 bytes. One request per delivery keeps the
  outbox one row, one attempt, one answer; the lost formatting is the price of the ping.
- Reply: ``{"errcode": 0, "errmsg": "ok"}``; any other ``errcode`` is a refusal.
"""

from __future__ import annotations

from ._common import escape_markdown, fit, json_bytes, json_headers
from .types import Mention, PreparedRequest

MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_BYTES = 2048


def _plain(text: str) -> str:
    # A task title like "<@all>" must not ping the whole group: only our own mentions may.
    return text.replace("<@", "＜@")


def build(*, url: str, secret: str, message, mentions: list[Mention], now) -> PreparedRequest:
    by_mobile_only = [m.mobile for m in mentions if m.mobile and not m.user_id]
    user_ids = [m.user_id for m in mentions if m.user_id]
    lines = [_plain(line) for line in message.lines]
    if by_mobile_only:
        tail = message.url
        content = fit(_plain(message.title), lines, tail, TEXT_MAX_BYTES)
        text: dict = {"content": content}
        if user_ids:
            text["mentioned_list"] = user_ids
        text["mentioned_mobile_list"] = by_mobile_only
        document = {"msgtype": "text", "text": text}
    else:
        # Markdown: people's words show as typed (no headings, links or <font> from a comment).
        lines = [escape_markdown(line) for line in message.lines]
        tail_parts = []
        if message.url:
            tail_parts.append(f"[{message.url}]({message.url})")
        if user_ids:
            tail_parts.append(" ".join(f"<@{user_id}>" for user_id in user_ids))
        content = fit(
            f"**{escape_markdown(message.title)}**",
            lines,
            "\n".join(tail_parts),
            MARKDOWN_MAX_BYTES,
        )
        document = {"msgtype": "markdown", "markdown": {"content": content}}
    return PreparedRequest(url=url, headers=json_headers(), body=json_bytes(document))
