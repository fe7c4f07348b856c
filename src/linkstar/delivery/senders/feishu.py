"""飞书自定义机器人 (Feishu / Lark custom bot) with signature check (签名校验).

Documentation: 飞书开放平台 “自定义机器人使用指南”
(https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot) and “发送富文本消息”.

- POST to the bot's webhook URL as configured
  (``https://open.feishu.cn/open-apis/bot/v2/hook/<token>``; Lark: ``open.larksuite.com``).
- Signature in the body: ``"timestamp"`` = now in seconds, as a string, and ``"sign"`` =
  Base64(HmacSHA256(key=f"{timestamp}\\n{secret}", msg=b"")): the string to sign is the *key*
  and the message is empty. The platform refuses a timestamp more than one hour away. With no
  secret, neither field is sent.
- ``msg_type: "post"`` (富文本): ``{"content": {"post": {"zh_cn": {"title", "content": [[…], …]}}}}``,
  one paragraph per fact (``{"tag": "text", "text"}``), the link as ``{"tag": "a", "text",
  "href"}``, mentions as ``{"tag": "at", "user_id": "ou_…", "user_name"}`` (``user_id`` takes an
  open_id, user_id or union_id; ``user_name`` as in the platform's FAQ example);
  someone with no Feishu id is named as plain text ``@name``. We chose ``post`` over an
  ``interactive`` card: every fact stays plain text (no markdown to escape) and ``at`` is a
  first-class element. The text is already in its reader's language; it goes under ``zh_cn``,
  which every client shows when no other locale is given.
- The request body may not exceed 20 KB.
- Reply: ``{"code": 0, "msg": "success", "data": {}}``; e.g. ``19021`` for a bad signature or
  stale timestamp. Older bots answer ``{"StatusCode": 0, "StatusMessage": "success"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ._common import fit_lines, json_bytes, json_headers, truncate_utf8, utf8_len
from .types import Mention, PreparedRequest

BODY_MAX_BYTES = 20 * 1024
# Room for the JSON around the texts (keys, link, mentions, signature).
TEXT_BUDGET_BYTES = 16 * 1024
TITLE_MAX_BYTES = 512


def sign(secret: str, timestamp: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def build(*, url: str, secret: str, message, mentions: list[Mention], now) -> PreparedRequest:
    title = truncate_utf8(message.title, TITLE_MAX_BYTES)
    lines = fit_lines(list(message.lines), TEXT_BUDGET_BYTES - utf8_len(title), sep_bytes=32)
    paragraphs: list[list[dict]] = [[{"tag": "text", "text": line}] for line in lines]
    if message.url:
        paragraphs.append([{"tag": "a", "text": message.url, "href": message.url}])
    if mentions:
        row: list[dict] = []
        for mention in mentions:
            if mention.user_id:
                row.append({"tag": "at", "user_id": mention.user_id, "user_name": mention.name})
            else:
                row.append({"tag": "text", "text": f"@{mention.name} "})
        paragraphs.append(row)
    document: dict = {}
    if secret:
        timestamp = str(int(now.timestamp()))
        document |= {"timestamp": timestamp, "sign": sign(secret, timestamp)}
    document |= {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": title, "content": paragraphs}}},
    }
    return PreparedRequest(url=url, headers=json_headers(), body=json_bytes(document))
