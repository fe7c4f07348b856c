"""What every kind shares: JSON bytes, UTF-8-safe truncation, reading replies, one POST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types import PreparedRequest

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = "LinkStar/1"
ELLIPSIS = "…"
ERROR_MAX_CHARS = 300
REPLY_MAX_BYTES = 64 * 1024


# Characters that DingTalk's and WeCom's markdown read as markup, and the full-width look-alikes
# shown instead: a comment's "# title", "[x](url)", "<font color=…>" or "**" must read as text.
# (Neither platform documents a backslash escape; HTML entities show as typed.)
_MARKDOWN_LOOKALIKES = str.maketrans(
    {
        "#": "＃",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "~": "～",
    }
)


def escape_markdown(text: str) -> str:
    """``text`` (a person's words) shown as typed in a DingTalk or WeCom markdown message."""
    text = text.translate(_MARKDOWN_LOOKALIKES)
    # A line starting with "-", "+" or "1." would become a list item.
    if text[:1] in "-+" or (text.split(".", 1)[0].isdigit() and "." in text[:4]):
        text = "\u200b" + text
    return text


def json_bytes(document: dict) -> bytes:
    """UTF-8 JSON with Chinese left as is (no ``\\uXXXX``), compact."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_headers() -> dict[str, str]:
    return {"Content-Type": JSON_CONTENT_TYPE, "User-Agent": USER_AGENT}


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character, ending with
    ``ellipsis`` when something was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = max(limit - utf8_len(ellipsis), 0)
    # errors="ignore" drops the partial character left at the cut.
    if limit < utf8_len(ellipsis):
        ellipsis = ""
    return encoded[:room].decode("utf-8", errors="ignore") + ellipsis


def fit(head: str, middle: list[str], tail: str, limit: int, sep: str = "\n") -> str:
    """``head``, the ``middle`` lines and ``tail`` joined by ``sep`` in at most ``limit`` bytes.

    The head (title) and the tail (link, mentions) matter most, so the middle is cut first: whole
    lines while they fit, then the first line that does not fit is cut short with an ellipsis.
    Only when head and tail alone are too long is the head cut as well."""
    parts = [p for p in [head, *middle, tail] if p]
    whole = sep.join(parts)
    if utf8_len(whole) <= limit:
        return whole
    ends = [p for p in (head, tail) if p]
    fixed = utf8_len(sep.join(ends))
    if fixed + utf8_len(sep) + utf8_len(ELLIPSIS) > limit:
        tail_room = utf8_len(sep + tail) if tail else 0
        if not head or tail_room >= limit:
            return truncate_utf8(sep.join(ends), limit)
        budget = limit - tail_room
        if any(middle):  # lines are left out: cut the head too, so that the ellipsis shows
            budget = min(budget, utf8_len(head) - 1)
        return truncate_utf8(head, budget) + (sep + tail if tail else "")
    kept = fit_lines(middle, limit - fixed, sep_bytes=utf8_len(sep))
    return sep.join(p for p in [head, *kept, tail] if p)


def fit_lines(lines: list[str], room: int, *, sep_bytes: int = 1) -> list[str]:
    """The first ``lines`` that fit in ``room`` bytes, each costing ``sep_bytes`` more. When not
    all fit, the last line kept ends with an ellipsis (the first one that did not fit, cut short,
    or the ellipsis alone), so a reader sees that something was left out."""
    lines = [line for line in lines if line]
    if sum(sep_bytes + utf8_len(line) for line in lines) <= room:
        return lines
    marker = sep_bytes + utf8_len(ELLIPSIS)
    if room < marker:
        return []
    room -= marker  # kept back for the cut line, whatever happens
    kept: list[str] = []
    for line in lines:
        need = sep_bytes + utf8_len(line)
        if need > room:
            # Cut short, and at least by one character so that the ellipsis shows.
            budget = min(room + utf8_len(ELLIPSIS), utf8_len(line) - 1)
            kept.append(truncate_utf8(line, budget) if budget >= utf8_len(ELLIPSIS) else ELLIPSIS)
            break
        kept.append(line)
        room -= need
    return kept


def reply_snippet(body: bytes) -> str:
    return body[:ERROR_MAX_CHARS].decode("utf-8", errors="replace").strip()


def _json_reply(body: bytes) -> dict | None:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def check(kind: str, status: int, body: bytes | str) -> str | None:
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not 200 <= status < 300:
        snippet = reply_snippet(body)
        return (f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}")[:ERROR_MAX_CHARS]
    if kind not in ("wecom", "dingtalk", "feishu"):
        return None  # a webhook: any 2xx is delivered, whatever the body
    reply = _json_reply(body)
    if reply is None:
        return f"unexpected reply: {reply_snippet(body)}"[:ERROR_MAX_CHARS]
    if kind in ("wecom", "dingtalk"):
        code, text = reply.get("errcode"), reply.get("errmsg", "")
    else:
        # The current API answers {"code": 0, "msg": "success", "data": {}}; bots created before
        # the v2 hook still answer {"StatusCode": 0, "StatusMessage": "success"}.
        if "code" in reply:
            code, text = reply.get("code"), reply.get("msg", "")
        else:
            code, text = reply.get("StatusCode"), reply.get("StatusMessage", "")
    if code is None:
        return f"unexpected reply: {reply_snippet(body)}"[:ERROR_MAX_CHARS]
    if code != 0:
        return f"error {code}: {text}"[:ERROR_MAX_CHARS]
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot's webhook answers directly; a redirect would turn the POST into a GET and lose the
    message, so it is reported as the 3xx it is."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def send(request: PreparedRequest, *, timeout: float) -> tuple[int, bytes]:
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with _opener.open(http_request, timeout=timeout) as response:
            return response.status, response.read(REPLY_MAX_BYTES)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(REPLY_MAX_BYTES)
