"""Real HTTP receivers that stand in for the chat platforms in tests.

Each is a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a thread. It checks a request the
way the platform's public documentation says the platform does — path and query, headers, the
exact JSON shape, the signature and the freshness of its timestamp — re-implemented here from the
documentation, *not* by importing ``linkstar.delivery.senders``, so that a mistake in the sender
is caught rather than mirrored. It records every request and answers like the platform: success
(``errcode 0`` / ``code 0`` / 200), the platform's error reply when a check fails, or HTTP 500 for
the first ``fail_first`` requests (to show retries).

Freshness is measured against ``linkstar.core.clock.now`` (so ``clock.travel`` moves it too) with
a ``tolerance`` per receiver: one hour for DingTalk and Feishu as they document, five minutes for
the generic webhook.

Use::

    with Receiver("dingtalk", secret="SEC123") as robot:
        ...post to robot.url...
        assert robot.accepted[0].json["msgtype"] == "markdown"

or the ``receiver`` fixture factory of ``tests/delivery/conftest.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from linkstar.core import clock

KINDS = ("wecom", "dingtalk", "feishu", "webhook")

DEFAULT_SECRETS = {
    "wecom": "",  # the key in the URL is the only secret
    "dingtalk": "SEC5f1c0b6e2f4a4a0f9d6e8b7c3a2d1e0f5c4b3a2918e7d6c5b4a39281706f5e4d",
    "feishu": "fs-sign-secret-7Jq2x",
    "webhook": "whsec-linkstar-test",
}
DEFAULT_TOKENS = {
    "wecom": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
    "dingtalk": "d8f2a1c0e9b84f7a6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2910",
    "feishu": "2b4ca1e7-0f3a-4c5d-9e8f-7a6b5c4d3e2f",
    "webhook": "",
}
DEFAULT_TOLERANCE = {
    "wecom": dt.timedelta(hours=1),
    "dingtalk": dt.timedelta(hours=1),
    "feishu": dt.timedelta(hours=1),
    "webhook": dt.timedelta(minutes=5),
}

JSON_TYPE = re.compile(r"^application/json\s*(;\s*charset=utf-8\s*)?$", re.IGNORECASE)


class Refused(Exception):
    """A check failed: answer ``status`` with ``reply`` (the platform's own error)."""

    def __init__(self, reason: str, reply: dict, status: int = 200):
        super().__init__(reason)
        self.reason = reason
        self.reply = reply
        self.status = status


@dataclass
class Received:
    """One request as the receiver saw it, and what it made of it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    status: int = 200
    reply: Any = None
    error: str | None = None  # why it was refused; None when accepted
    at: dt.datetime | None = None  # when it arrived, by ``clock.now`` (tests travel in time)
    mentions: list[str] = field(default_factory=list)  # ids/mobiles that would be @-mentioned

    @property
    def accepted(self) -> bool:
        return self.error is None and 200 <= self.status < 300


class Receiver:
    """A fake of one platform's robot endpoint. ``kind`` is one of :data:`KINDS`.

    Options: ``secret`` (DingTalk/Feishu signing secret, webhook HMAC secret; ``""`` means the
    robot checks no signature), ``token`` (the access token / key in the URL), ``tolerance`` (how
    far the request's timestamp may be from ``clock.now()``), ``fail_first`` (answer HTTP 500 to
    that many requests first), ``reply`` (a JSON reply to send instead of success, e.g.
    ``{"errcode": 410100, "errmsg": "send too fast"}``, with ``reply_status``), ``legacy`` (Feishu
    answers the old ``StatusCode`` shape), ``event`` (webhook: any JSON object, not the chat
    shape)."""

    def __init__(
        self,
        kind: str,
        *,
        secret: str | None = None,
        token: str | None = None,
        tolerance: dt.timedelta | None = None,
        fail_first: int = 0,
        reply: dict | None = None,
        reply_status: int = 200,
        legacy: bool = False,
        event: bool = False,
        per_minute: int | None = None,
        limited_first: int = 0,
        now: Callable[[], dt.datetime] = clock.now,
    ):
        if kind not in KINDS:
            raise ValueError(kind)
        self.kind = kind
        self.secret = DEFAULT_SECRETS[kind] if secret is None else secret
        self.token = DEFAULT_TOKENS[kind] if token is None else token
        self.tolerance = DEFAULT_TOLERANCE[kind] if tolerance is None else tolerance
        self.fail_first = fail_first
        self.forced_reply = reply
        self.reply_status = reply_status
        self.legacy = legacy
        self.event = event
        # The platform's rate limit: beyond ``per_minute`` accepted messages in any minute
        # (sliding, by ``now``), answer its "too fast" error; ``limited_first``: answer it to
        # that many messages first, whatever the rate (another program using the robot).
        self.per_minute = per_minute
        self.limited_first = limited_first
        self.now = now
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, reply = receiver._handle(self.path, dict(self.headers.items()), body)
                payload = json.dumps(reply, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"receiver-{self.kind}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests read ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "receiver not started"
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The webhook URL to configure the channel with, as the platform hands it out."""
        if self.kind == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={self.token}"
        if self.kind == "dingtalk":
            return f"{self.base}/robot/send?access_token={self.token}"
        if self.kind == "feishu":
            return f"{self.base}/open-apis/bot/v2/hook/{self.token}"
        return f"{self.base}/hooks/linkstar"

    @property
    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.accepted]

    @property
    def refused(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if not r.accepted]

    @property
    def last(self) -> Received:
        with self._lock:
            return self.requests[-1]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- checking ----------------------------------------------------------------------------
    def _handle(self, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        query = dict(pairs)
        received = Received(
            path=parsed.path,
            query=query,
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            at=self.now(),
        )
        with self._lock:
            failing = sum(1 for r in self.requests if r.status >= 500) < self.fail_first
            if failing:
                received.status, received.reply = 500, {"error": "internal error"}
                received.error = "forced HTTP 500"
            self.requests.append(received)
        if failing:
            return received.status, received.reply
        if len({k for k, _ in pairs}) != len(pairs):
            self._refuse(received, Refused("repeated query parameter", self._bad_request()))
            return received.status, received.reply
        try:
            received.json = self._parse(received)
            received.mentions = getattr(self, f"_check_{self.kind}")(received)
        except Refused as refusal:
            self._refuse(received, refusal)
            return received.status, received.reply
        with self._lock:
            limited = self._too_fast(received)
        if limited:
            received.status, received.reply = 200, self._too_fast_reply()
            received.error = "rate limited"
            return received.status, received.reply
        if self.forced_reply is not None:
            received.status, received.reply = self.reply_status, self.forced_reply
            if self.reply_status >= 300 or self.forced_reply.get(self._code_key(), 0) != 0:
                received.error = f"forced reply {self.forced_reply}"
            return received.status, received.reply
        received.status, received.reply = 200, self._success()
        return received.status, received.reply

    def _too_fast(self, received: Received) -> bool:
        limited_so_far = sum(1 for r in self.requests if r.error == "rate limited")
        if limited_so_far < self.limited_first:
            return True
        if self.per_minute is None:
            return False
        window = received.at - dt.timedelta(minutes=1)
        recent = [r for r in self.requests if r is not received and r.accepted and r.at > window]
        return len(recent) >= self.per_minute

    def _too_fast_reply(self) -> dict:
        # The platforms' documented "sending too fast" answers.
        if self.kind == "dingtalk":
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if self.kind == "wecom":
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        if self.kind == "feishu":
            return {"code": 11232, "data": {}, "msg": "frequency limited psm"}
        return {"error": "too many requests"}

    def _refuse(self, received: Received, refusal: Refused) -> None:
        received.error = refusal.reason
        received.status = refusal.status
        received.reply = refusal.reply

    def _code_key(self) -> str:
        return {"wecom": "errcode", "dingtalk": "errcode", "feishu": "code"}.get(self.kind, "")

    def _success(self) -> dict:
        if self.kind in ("wecom", "dingtalk"):
            return {"errcode": 0, "errmsg": "ok"}
        if self.kind == "feishu":
            if self.legacy:
                return {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
            return {"code": 0, "data": {}, "msg": "success"}
        return {"ok": True}

    def _bad_request(self, reason: str = "invalid request") -> dict:
        if self.kind in ("wecom", "dingtalk"):
            return {"errcode": 40035, "errmsg": reason}
        if self.kind == "feishu":
            return {"code": 9499, "data": {}, "msg": reason}
        return {"error": reason}

    def _parse(self, received: Received) -> Any:
        content_type = received.headers.get("content-type", "")
        if not JSON_TYPE.match(content_type.strip()):
            raise Refused(f"content type {content_type!r}", self._bad_request("content type"))
        try:
            document = json.loads(received.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise Refused(f"body is not UTF-8 JSON: {error}", self._bad_request("json")) from None
        if not isinstance(document, dict):
            raise Refused("body is not a JSON object", self._bad_request("json"))
        return document

    def _fresh(self, moment: dt.datetime) -> bool:
        return abs(self.now() - moment) <= self.tolerance

    # WeCom: https://developer.work.weixin.qq.com/document/path/91770
    def _check_wecom(self, received: Received) -> list[str]:
        if received.path != "/cgi-bin/webhook/send" or received.query.get("key") != self.token:
            raise Refused("wrong path or key", {"errcode": 93000, "errmsg": "invalid webhook url"})
        document = received.json
        kind = document.get("msgtype")
        if kind == "markdown":
            _exact_keys(document, {"msgtype", "markdown"}, self._bad_request())
            _exact_keys(document["markdown"], {"content"}, self._bad_request())
            content = _string(document["markdown"]["content"], self._bad_request())
            if len(content.encode("utf-8")) > 4096:
                raise Refused(
                    "markdown content over 4096 bytes",
                    {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"},
                )
            return re.findall(r"<@([^<>\s]+)>", content)
        if kind == "text":
            _exact_keys(document, {"msgtype", "text"}, self._bad_request())
            text = document["text"]
            _keys_within(
                text, {"content", "mentioned_list", "mentioned_mobile_list"}, self._bad_request()
            )
            content = _string(text.get("content"), self._bad_request())
            if len(content.encode("utf-8")) > 2048:
                raise Refused(
                    "text content over 2048 bytes",
                    {"errcode": 40058, "errmsg": "text.content exceed max length 2048"},
                )
            mentioned = _strings(text.get("mentioned_list", []), self._bad_request())
            mobiles = _strings(text.get("mentioned_mobile_list", []), self._bad_request())
            return [*mentioned, *mobiles]
        raise Refused(f"msgtype {kind!r}", {"errcode": 40008, "errmsg": "invalid message type"})

    # DingTalk: https://open.dingtalk.com/document/robots/customize-robot-security-settings
    #           https://open.dingtalk.com/document/robots/custom-robot-access
    def _check_dingtalk(self, received: Received) -> list[str]:
        if received.path != "/robot/send" or received.query.get("access_token") != self.token:
            raise Refused(
                "wrong path or token", {"errcode": 300001, "errmsg": "token is not exist"}
            )
        if self.secret:
            timestamp = received.query.get("timestamp", "")
            given = received.query.get("sign", "")
            expected = base64.b64encode(
                hmac.new(
                    self.secret.encode("utf-8"),
                    (timestamp + "\n" + self.secret).encode("utf-8"),
                    hashlib.sha256,
                ).digest()
            ).decode()
            if not timestamp.isdigit() or not given:
                raise Refused(
                    "no timestamp or sign", {"errcode": 310000, "errmsg": "sign not match"}
                )
            moment = dt.datetime.fromtimestamp(int(timestamp) / 1000, tz=dt.UTC)
            if not self._fresh(moment):
                raise Refused(
                    "timestamp too far from now",
                    {"errcode": 310000, "errmsg": "invalid timestamp"},
                )
            if not hmac.compare_digest(given, expected):
                raise Refused("signature mismatch", {"errcode": 310000, "errmsg": "sign not match"})
        document = received.json
        if document.get("msgtype") != "markdown":
            raise Refused("msgtype is not markdown", {"errcode": 40035, "errmsg": "msgtype"})
        _keys_within(document, {"msgtype", "markdown", "at"}, self._bad_request())
        _exact_keys(document["markdown"], {"title", "text"}, self._bad_request())
        _string(document["markdown"]["title"], self._bad_request())
        text = _string(document["markdown"]["text"], self._bad_request())
        at = document.get("at", {})
        _keys_within(at, {"atMobiles", "atUserIds", "isAtAll"}, self._bad_request())
        mobiles = _strings(at.get("atMobiles", []), self._bad_request())
        user_ids = _strings(at.get("atUserIds", []), self._bad_request())
        if not isinstance(at.get("isAtAll", False), bool):
            raise Refused("isAtAll is not a boolean", self._bad_request())
        # A person in the at list is only @-mentioned when "@<mobile or id>" is in the text.
        return [who for who in [*mobiles, *user_ids] if f"@{who}" in text]

    # Feishu: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
    def _check_feishu(self, received: Received) -> list[str]:
        prefix = "/open-apis/bot/v2/hook/"
        if not received.path.startswith(prefix) or received.path[len(prefix) :] != self.token:
            raise Refused(
                "wrong hook token",
                {
                    "code": 19001,
                    "data": {},
                    "msg": "param invalid: incoming webhook access token invalid",
                },
            )
        if len(received.body) > 20 * 1024:
            raise Refused(
                "body over 20 KB", {"code": 9499, "data": {}, "msg": "request body too large"}
            )
        document = received.json
        bad_sign = {
            "code": 19021,
            "data": {},
            "msg": "sign match fail or timestamp is not within one hour from current time",
        }
        if self.secret:
            timestamp, given = document.get("timestamp"), document.get("sign")
            if (
                not isinstance(timestamp, str)
                or not timestamp.isdigit()
                or not isinstance(given, str)
            ):
                raise Refused("no timestamp or sign in the body", bad_sign)
            key = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if not self._fresh(dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)):
                raise Refused("timestamp too far from now", bad_sign)
            if not hmac.compare_digest(given, expected):
                raise Refused("signature mismatch", bad_sign)
            _exact_keys(document, {"timestamp", "sign", "msg_type", "content"}, self._bad_request())
        else:
            _exact_keys(document, {"msg_type", "content"}, self._bad_request())
        if document["msg_type"] != "post":
            raise Refused("msg_type is not post", self._bad_request("msg_type"))
        _exact_keys(document["content"], {"post"}, self._bad_request())
        locales = document["content"]["post"]
        if (
            not isinstance(locales, dict)
            or not locales
            or set(locales) - {"zh_cn", "en_us", "ja_jp"}
        ):
            raise Refused("post locales", self._bad_request("post"))
        mentions: list[str] = []
        for post in locales.values():
            _exact_keys(post, {"title", "content"}, self._bad_request())
            _string(post["title"], self._bad_request())
            if not isinstance(post["content"], list):
                raise Refused("post content is not a list", self._bad_request())
            for paragraph in post["content"]:
                if not isinstance(paragraph, list):
                    raise Refused("paragraph is not a list", self._bad_request())
                for element in paragraph:
                    mentions += _feishu_element(element, self._bad_request())
        return mentions

    # LinkStar's own webhook: see the docstring of linkstar.delivery.senders.webhook.
    def _check_webhook(self, received: Received) -> list[str]:
        headers = received.headers
        if headers.get("user-agent") != "LinkStar/1":
            raise Refused("user agent", {"error": "user agent"}, status=400)
        timestamp = headers.get("x-linkstar-timestamp", "")
        if not timestamp.isdigit():
            raise Refused("no timestamp header", {"error": "no timestamp"}, status=401)
        if not self._fresh(dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)):
            raise Refused("stale timestamp", {"error": "stale timestamp"}, status=401)
        if self.secret:
            mac = hmac.new(
                self.secret.encode("utf-8"),
                timestamp.encode() + b"." + received.body,
                hashlib.sha256,
            )
            given = headers.get("x-linkstar-signature", "")
            if not hmac.compare_digest(given, "sha256=" + mac.hexdigest()):
                raise Refused("signature mismatch", {"error": "bad signature"}, status=401)
        if self.event:
            return []
        document = received.json
        bad = {"error": "bad payload"}
        _exact_keys(document, {"version", "title", "lines", "url", "mentions", "sent_at"}, bad, 400)
        if document["version"] != 1:
            raise Refused("version", bad, status=400)
        _string(document["title"], bad, 400)
        _strings(document["lines"], bad, 400)
        if not isinstance(document["url"], str):
            raise Refused("url", bad, status=400)
        try:
            if not document["sent_at"].endswith("Z"):
                raise ValueError("not UTC")
            dt.datetime.fromisoformat(document["sent_at"])
        except (AttributeError, TypeError, ValueError):
            raise Refused("sent_at is not ISO 8601 UTC", bad, status=400) from None
        if not isinstance(document["mentions"], list):
            raise Refused("mentions", bad, status=400)
        names = []
        for mention in document["mentions"]:
            _exact_keys(mention, {"name", "mobile", "user_id"}, bad, 400)
            names.append(mention["user_id"] or mention["mobile"] or mention["name"])
        return names


def _exact_keys(document: Any, keys: set[str], reply: dict, status: int = 200) -> None:
    if not isinstance(document, dict) or set(document) != keys:
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise Refused(f"keys {found} are not {sorted(keys)}", reply, status)


def _keys_within(document: Any, keys: set[str], reply: dict, status: int = 200) -> None:
    if not isinstance(document, dict) or set(document) - keys:
        raise Refused(f"unexpected keys in {document!r}", reply, status)


def _string(value: Any, reply: dict, status: int = 200) -> str:
    if not isinstance(value, str) or not value:
        raise Refused(f"{value!r} is not a non-empty string", reply, status)
    return value


def _strings(value: Any, reply: dict, status: int = 200) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise Refused(f"{value!r} is not a list of strings", reply, status)
    return value


def _feishu_element(element: Any, reply: dict) -> list[str]:
    """Check one element of a Feishu post paragraph; the user ids it @-mentions."""
    if not isinstance(element, dict):
        raise Refused("element is not an object", reply)
    tag = element.get("tag")
    if tag == "text":
        _keys_within(element, {"tag", "text", "un_escape", "style"}, reply)
        _string(element.get("text"), reply)
        return []
    if tag == "a":
        _keys_within(element, {"tag", "text", "href", "style"}, reply)
        _string(element.get("text"), reply)
        if urllib.parse.urlsplit(_string(element.get("href"), reply)).scheme not in (
            "http",
            "https",
        ):
            raise Refused("link is not http(s)", reply)
        return []
    if tag == "at":
        _keys_within(element, {"tag", "user_id", "user_name", "style"}, reply)
        return [_string(element.get("user_id"), reply)]
    raise Refused(f"unsupported tag {tag!r}", reply)
