"""The chat robots' requests, posted over real HTTP to receivers that check them as the
platforms document (tests/support/receivers.py)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest

from linkstar.core import clock
from linkstar.delivery.outbox import Message
from linkstar.delivery.senders import (
    KINDS,
    Mention,
    PreparedRequest,
    build_event_request,
    build_request,
    check_response,
    post,
    sign_webhook,
)
from linkstar.delivery.senders._common import fit, truncate_utf8

MESSAGE = Message(
    title="任务已逾期：上传营业执照",
    lines=["项目：云帆 · Amazon 北美站", "任务：上传营业执照", "截止日期：2025-03-01"],
    url="https://linkstar.example/o/acme/projects/7/",
)
ZHANG = Mention(name="张三", mobile="13800138000")
LI = Mention(name="李四", user_id="lisi")
WANG_FEISHU = Mention(name="王五", user_id="ou_7d8a6e6df7621556ce0d21922b676706")


def send(request: PreparedRequest) -> tuple[int, bytes]:
    """POST with urllib, as the outbox does, returning the answer even for 4xx/5xx."""
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def build(kind, robot, *, message=MESSAGE, mentions=(), secret=None, now=None):
    return build_request(
        kind,
        url=robot.url,
        secret=robot.secret if secret is None else secret,
        message=message,
        mentions=list(mentions),
        now=now or clock.now(),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_accepted_by_its_platform_over_real_http(receiver, kind):
    robot = receiver(kind)
    status, body = send(build(kind, robot))
    assert check_response(kind, status, body) is None
    assert robot.last.accepted, robot.last.error
    assert len(robot.accepted) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_chinese_text_arrives_intact_as_utf8_json(receiver, kind):
    robot = receiver(kind)
    send(build(kind, robot))
    received = robot.last
    assert "任务已逾期".encode() in received.body
    assert b"\\u" not in received.body
    assert received.headers["content-type"] == "application/json; charset=utf-8"
    assert received.headers["user-agent"] == "LinkStar/1"


def test_wecom_sends_markdown_with_title_facts_and_link(wecom_receiver):
    send(build("wecom", wecom_receiver))
    document = wecom_receiver.last.json
    assert document["msgtype"] == "markdown"
    content = document["markdown"]["content"]
    assert content.splitlines() == [
        "**任务已逾期：上传营业执照**",
        "项目：云帆 · Amazon 北美站",
        "任务：上传营业执照",
        "截止日期：2025-03-01",
        f"[{MESSAGE.url}]({MESSAGE.url})",
    ]


def test_wecom_markdown_mentions_members_by_userid(wecom_receiver):
    send(build("wecom", wecom_receiver, mentions=[LI, Mention(name="赵六", user_id="zhaoliu")]))
    received = wecom_receiver.last
    assert received.accepted
    assert received.json["msgtype"] == "markdown"
    assert received.mentions == ["lisi", "zhaoliu"]


def test_wecom_switches_to_text_to_mention_someone_known_only_by_mobile(wecom_receiver):
    send(build("wecom", wecom_receiver, mentions=[ZHANG, LI]))
    received = wecom_receiver.last
    assert received.accepted, received.error
    assert received.json["msgtype"] == "text"
    assert received.json["text"]["mentioned_list"] == ["lisi"]
    assert received.json["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert received.json["text"]["content"].startswith("任务已逾期：上传营业执照\n")
    assert received.json["text"]["content"].endswith(MESSAGE.url)
    assert received.mentions == ["lisi", "13800138000"]


def test_wecom_text_from_the_message_cannot_mention_the_whole_group(wecom_receiver):
    sneaky = Message(title="<@all> 紧急", lines=["<@boss>"], url="")
    send(build("wecom", wecom_receiver, message=sneaky))
    assert wecom_receiver.last.accepted
    assert wecom_receiver.last.mentions == []


def test_wecom_refuses_a_wrong_key(wecom_receiver):
    request = build("wecom", wecom_receiver)
    wrong = PreparedRequest(
        url=request.url.replace(wecom_receiver.token, "not-the-key"),
        headers=request.headers,
        body=request.body,
    )
    status, body = send(wrong)
    assert status == 200
    assert check_response("wecom", status, body) == "error 93000: invalid webhook url"


def test_long_chinese_markdown_is_cut_to_4096_bytes_without_breaking_a_character(wecom_receiver):
    long = Message(
        title="项目停滞：云帆",
        lines=[f"第{n}条：资料补充说明，请尽快处理。" for n in range(400)],
        url=MESSAGE.url,
    )
    send(build("wecom", wecom_receiver, message=long, mentions=[LI]))
    received = wecom_receiver.last
    assert received.accepted, received.error
    content = received.json["markdown"]["content"]
    assert 4000 < len(content.encode("utf-8")) <= 4096
    assert content.startswith("**项目停滞：云帆**\n第0条")
    # The link and the mention survive the cut; the facts are cut, with an ellipsis.
    assert content.endswith(f"[{MESSAGE.url}]({MESSAGE.url})\n<@lisi>")
    assert "…" in content
    assert received.mentions == ["lisi"]


def test_long_text_with_mobile_mentions_is_cut_to_2048_bytes(wecom_receiver):
    long = Message(title="提醒", lines=["很长的一行说明" * 200], url=MESSAGE.url)
    send(build("wecom", wecom_receiver, message=long, mentions=[ZHANG]))
    received = wecom_receiver.last
    assert received.accepted, received.error
    content = received.json["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert content.endswith("…\n" + MESSAGE.url)


def test_dingtalk_signs_the_url_with_timestamp_and_sign(dingtalk_receiver):
    now = clock.now()
    send(build("dingtalk", dingtalk_receiver, now=now))
    received = dingtalk_receiver.last
    assert received.accepted, received.error
    assert received.query["access_token"] == dingtalk_receiver.token
    assert received.query["timestamp"] == str(int(now.timestamp() * 1000))
    assert set(received.query) == {"access_token", "timestamp", "sign"}
    assert received.json["markdown"]["title"] == "任务已逾期：上传营业执照"
    assert received.json["at"] == {"atMobiles": [], "atUserIds": [], "isAtAll": False}


def test_dingtalk_sign_is_url_encoded_base64():
    # The sign of a fixed moment: Base64 has "+", "/" and "=", which must arrive encoded.
    request = build_request(
        "dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=abc",
        secret="SECtest",
        message=MESSAGE,
        mentions=[],
        now=dt.datetime.fromtimestamp(1700000000.123, tz=dt.UTC),
    )
    prefix = "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000123&sign="
    assert request.url.startswith(prefix)
    sign = request.url[len(prefix) :]
    assert "+" not in sign and "/" not in sign and "=" not in sign
    assert sign.endswith("%3D")


def test_dingtalk_mentions_render_because_they_are_also_in_the_text(dingtalk_receiver):
    send(build("dingtalk", dingtalk_receiver, mentions=[ZHANG, LI]))
    received = dingtalk_receiver.last
    assert received.accepted, received.error
    assert received.json["at"] == {
        "atMobiles": ["13800138000"],
        "atUserIds": ["lisi"],
        "isAtAll": False,
    }
    assert received.json["markdown"]["text"].endswith("@13800138000 @lisi")
    assert received.mentions == ["13800138000", "lisi"]


def test_dingtalk_refuses_a_wrong_secret(dingtalk_receiver):
    status, body = send(build("dingtalk", dingtalk_receiver, secret="SECwrong"))
    assert dingtalk_receiver.last.error == "signature mismatch"
    assert check_response("dingtalk", status, body) == "error 310000: sign not match"


def test_dingtalk_refuses_a_timestamp_more_than_an_hour_old(dingtalk_receiver):
    request = build("dingtalk", dingtalk_receiver)
    with clock.travel(minutes=61):
        status, body = send(request)
    assert dingtalk_receiver.last.error == "timestamp too far from now"
    assert check_response("dingtalk", status, body) == "error 310000: invalid timestamp"
    with clock.travel(minutes=59):
        assert check_response("dingtalk", *send(request)) is None


def test_dingtalk_long_markdown_is_capped_and_keeps_link_and_mentions(dingtalk_receiver):
    long = Message(title="长消息", lines=["资料补充说明，请尽快处理。" * 20] * 100, url=MESSAGE.url)
    send(build("dingtalk", dingtalk_receiver, message=long, mentions=[ZHANG]))
    received = dingtalk_receiver.last
    assert received.accepted, received.error
    text = received.json["markdown"]["text"]
    assert len(text.encode("utf-8")) <= 15000
    assert text.endswith(f"…\n\n[{MESSAGE.url}]({MESSAGE.url})\n\n@13800138000")
    assert received.mentions == ["13800138000"]


def test_dingtalk_without_a_secret_posts_to_the_url_as_configured(receiver):
    robot = receiver("dingtalk", secret="")
    request = build("dingtalk", robot)
    assert request.url == robot.url
    assert check_response("dingtalk", *send(request)) is None


def test_feishu_signs_the_body_and_sends_a_post_message(feishu_receiver):
    now = clock.now()
    send(build("feishu", feishu_receiver, now=now, mentions=[WANG_FEISHU]))
    received = feishu_receiver.last
    assert received.accepted, received.error
    document = received.json
    assert document["timestamp"] == str(int(now.timestamp()))
    assert document["msg_type"] == "post"
    post_zh = document["content"]["post"]["zh_cn"]
    assert post_zh["title"] == "任务已逾期：上传营业执照"
    assert post_zh["content"] == [
        [{"tag": "text", "text": "项目：云帆 · Amazon 北美站"}],
        [{"tag": "text", "text": "任务：上传营业执照"}],
        [{"tag": "text", "text": "截止日期：2025-03-01"}],
        [{"tag": "a", "text": MESSAGE.url, "href": MESSAGE.url}],
        [{"tag": "at", "user_id": WANG_FEISHU.user_id, "user_name": "王五"}],
    ]
    assert received.mentions == [WANG_FEISHU.user_id]


def test_feishu_names_someone_without_a_feishu_id_in_plain_text(feishu_receiver):
    send(build("feishu", feishu_receiver, mentions=[ZHANG]))
    received = feishu_receiver.last
    assert received.accepted
    assert received.mentions == []
    assert received.json["content"]["post"]["zh_cn"]["content"][-1] == [
        {"tag": "text", "text": "@张三 "}
    ]


def test_feishu_refuses_a_wrong_secret(feishu_receiver):
    status, body = send(build("feishu", feishu_receiver, secret="wrong"))
    assert feishu_receiver.last.error == "signature mismatch"
    error = check_response("feishu", status, body)
    assert error.startswith("error 19021: sign match fail")


def test_feishu_refuses_a_stale_timestamp(feishu_receiver):
    request = build("feishu", feishu_receiver, now=clock.now() - dt.timedelta(hours=2))
    status, body = send(request)
    assert feishu_receiver.last.error == "timestamp too far from now"
    assert check_response("feishu", status, body).startswith("error 19021")


def test_feishu_without_a_secret_sends_no_signature_fields(receiver):
    robot = receiver("feishu", secret="")
    send(build("feishu", robot))
    assert robot.last.accepted
    assert set(robot.last.json) == {"msg_type", "content"}


def test_feishu_long_message_stays_under_20_kb(feishu_receiver):
    long = Message(title="长消息", lines=["一二三四五六七八九十" * 50] * 40, url=MESSAGE.url)
    request = build("feishu", feishu_receiver, message=long, mentions=[WANG_FEISHU])
    assert len(request.body) <= 20 * 1024
    send(request)
    assert feishu_receiver.last.accepted, feishu_receiver.last.error
    paragraphs = feishu_receiver.last.json["content"]["post"]["zh_cn"]["content"]
    assert paragraphs[-2] == [{"tag": "a", "text": MESSAGE.url, "href": MESSAGE.url}]


def test_feishu_legacy_reply_counts_as_delivered(receiver):
    robot = receiver("feishu", legacy=True)
    status, body = send(build("feishu", robot))
    assert json.loads(body)["StatusCode"] == 0
    assert check_response("feishu", status, body) is None


def test_webhook_sends_the_documented_json_signed_in_a_header(webhook_receiver):
    now = dt.datetime(2025, 3, 1, 8, 0, 0, tzinfo=dt.UTC)
    with clock.frozen_at(now):
        request = build("webhook", webhook_receiver, now=clock.now(), mentions=[ZHANG, LI])
        send(request)
    received = webhook_receiver.last
    assert received.accepted, received.error
    timestamp = received.headers["x-linkstar-timestamp"]
    assert received.headers["x-linkstar-signature"] == sign_webhook(
        webhook_receiver.secret, timestamp, received.body
    )
    assert received.json == {
        "version": 1,
        "title": "任务已逾期：上传营业执照",
        "lines": MESSAGE.lines,
        "url": MESSAGE.url,
        "mentions": [
            {"name": "张三", "mobile": "13800138000", "user_id": ""},
            {"name": "李四", "mobile": "", "user_id": "lisi"},
        ],
        "sent_at": "2025-03-01T08:00:00Z",
    }


def test_webhook_signature_is_hmac_sha256_of_timestamp_dot_body():
    # A known answer, computed with openssl: printf '1700000000.{}' | openssl dgst -sha256 -hmac s
    assert (
        sign_webhook("s", "1700000000", b"{}")
        == "sha256=e9232c9945da8456c2dea6b39da7786c07b00bca7a64d5dd1283674713a7b72a"
    )


def test_webhook_refuses_a_wrong_secret_with_401(webhook_receiver):
    status, body = send(build("webhook", webhook_receiver, secret="not-it"))
    assert status == 401
    assert check_response("webhook", status, body) == 'HTTP 401: {"error": "bad signature"}'


def test_webhook_refuses_a_request_replayed_ten_minutes_later(webhook_receiver):
    request = build("webhook", webhook_receiver)
    with clock.travel(minutes=10):
        status, _ = send(request)
    assert status == 401
    assert webhook_receiver.last.error == "stale timestamp"


def test_event_webhook_carries_any_payload_signed_the_same_way(receiver):
    robot = receiver("webhook", event=True)
    payload = {"id": "evt_1", "kind": "task.done", "data": {"任务": "上传营业执照"}}
    request = build_event_request(
        url=robot.url, secret=robot.secret, payload=payload, now=clock.now()
    )
    status, body = send(request)
    assert check_response("webhook", status, body) is None
    assert robot.last.json == payload


def test_a_receiver_answering_500_then_200_shows_a_retry(receiver):
    robot = receiver("dingtalk", fail_first=1)
    request = build("dingtalk", robot)
    first = check_response("dingtalk", *send(request))
    second = check_response("dingtalk", *send(request))
    assert first == 'HTTP 500: {"error": "internal error"}'
    assert second is None
    assert [r.status for r in robot.requests] == [500, 200]


def test_a_platform_error_reply_is_reported_even_with_http_200(receiver):
    robot = receiver("wecom", reply={"errcode": 45009, "errmsg": "api freq out of limit"})
    status, body = send(build("wecom", robot))
    assert status == 200
    assert check_response("wecom", status, body) == "error 45009: api freq out of limit"


def test_post_helper_returns_status_and_body_for_errors_too(receiver):
    robot = receiver("webhook", fail_first=1)
    request = build("webhook", robot)
    assert post(request)[0] == 500
    assert post(request) == (200, b'{"ok": true}')


def test_post_helper_does_not_follow_redirects(receiver):
    # A 3xx would turn the POST into a body-less GET: report it instead.
    robot = receiver("webhook", reply={"moved": True}, reply_status=302)
    status, body = post(build("webhook", robot))
    assert status == 302
    assert check_response("webhook", status, body).startswith("HTTP 302")


def test_post_helper_raises_when_nobody_answers():
    request = PreparedRequest(url="http://127.0.0.1:9/nowhere", headers={}, body=b"{}")
    with pytest.raises(OSError):
        post(request, timeout=2)


@pytest.mark.parametrize(
    ("kind", "status", "body", "expected"),
    [
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', None),
        (
            "wecom",
            200,
            b'{"errcode":93000,"errmsg":"invalid webhook url"}',
            "error 93000: invalid webhook url",
        ),
        ("dingtalk", 200, b'{"errcode":0,"errmsg":"ok"}', None),
        (
            "dingtalk",
            200,
            b'{"errcode":130101,"errmsg":"send too fast"}',
            "error 130101: send too fast",
        ),
        ("feishu", 200, b'{"code":0,"data":{},"msg":"success"}', None),
        ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', None),
        (
            "feishu",
            200,
            b'{"code":11232,"msg":"frequency limited"}',
            "error 11232: frequency limited",
        ),
        (
            "feishu",
            400,
            b'{"code":9499,"msg":"Bad Request"}',
            'HTTP 400: {"code":9499,"msg":"Bad Request"}',
        ),
        ("wecom", 200, b"<html>gateway</html>", "unexpected reply: <html>gateway</html>"),
        ("dingtalk", 200, b'{"ok":true}', 'unexpected reply: {"ok":true}'),
        ("webhook", 204, b"", None),
        ("webhook", 200, b"anything", None),
        ("webhook", 503, b"", "HTTP 503"),
        ("wecom", 502, "网关错误".encode(), "HTTP 502: 网关错误"),
    ],
)
def test_check_response(kind, status, body, expected):
    assert check_response(kind, status, body) == expected


def raw(robot, document, *, content_type="application/json; charset=utf-8", url=None):
    body = json.dumps(document, ensure_ascii=False).encode()
    return send(
        PreparedRequest(url=url or robot.url, headers={"Content-Type": content_type}, body=body)
    )


def test_receivers_refuse_shapes_the_platforms_do_not_document(receiver):
    wecom, dingtalk, feishu = (
        receiver("wecom"),
        receiver("dingtalk", secret=""),
        receiver("feishu", secret=""),
    )
    raw(wecom, {"msgtype": "markdown", "markdown": {"content": "x", "title": "extra"}})
    raw(wecom, {"msgtype": "html", "html": {"content": "x"}})
    raw(dingtalk, {"msgtype": "markdown", "markdown": {"text": "no title"}})
    raw(feishu, {"msg_type": "post", "content": {"post": {"fr_fr": {"title": "t", "content": []}}}})
    raw(
        feishu,
        {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": "t", "content": [[{"tag": "at"}]]}}},
        },
    )
    for robot in (wecom, dingtalk, feishu):
        assert robot.accepted == []
        assert all(r.error for r in robot.requests)


def test_receivers_refuse_a_body_that_is_not_declared_json(wecom_receiver):
    status, body = raw(
        wecom_receiver, {"msgtype": "text", "text": {"content": "x"}}, content_type="text/plain"
    )
    assert check_response("wecom", status, body).startswith("error 40035")


def test_feishu_receiver_refuses_another_bots_hook(feishu_receiver):
    request = build("feishu", feishu_receiver)
    other = feishu_receiver.url.rsplit("/", 1)[0] + "/another-token"
    status, body = send(PreparedRequest(url=other, headers=request.headers, body=request.body))
    assert check_response("feishu", status, body).startswith("error 19001")


def test_check_response_takes_the_body_as_text_too():
    assert check_response("wecom", 200, '{"errcode":0,"errmsg":"ok"}') is None
    assert (
        check_response("feishu", 200, '{"code":19021,"msg":"签名错误"}') == "error 19021: 签名错误"
    )


def test_check_response_treats_integration_webhooks_like_the_generic_webhook():
    assert check_response("integration", 202, b"") is None
    assert check_response("integration", 410, b"gone") == "HTTP 410: gone"


def test_mentions_may_be_mappings_with_one_id_per_platform(receiver):
    handle = {
        "user_id": 42,
        "name": "李四",
        "mobile": "13900139000",
        "wecom_user_id": "lisi",
        "dingtalk_user_id": "",
        "feishu_user_id": "ou_lisi",
    }
    wecom, dingtalk, feishu, webhook = (receiver(kind) for kind in KINDS)
    send(build("wecom", wecom, mentions=[handle]))
    send(build("dingtalk", dingtalk, mentions=[handle]))
    send(build("feishu", feishu, mentions=[handle]))
    send(build("webhook", webhook, mentions=[handle]))
    assert wecom.last.mentions == ["lisi"]
    assert dingtalk.last.mentions == ["13900139000"]
    assert feishu.last.mentions == ["ou_lisi"]
    assert webhook.last.json["mentions"] == [
        {"name": "李四", "mobile": "13900139000", "user_id": "42"}
    ]


def test_check_response_keeps_errors_short():
    assert len(check_response("webhook", 500, b"x" * 10_000)) <= 300


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown channel kind"):
        build_request(
            "slack", url="http://x", secret="", message=MESSAGE, mentions=[], now=clock.now()
        )


def test_truncation_never_splits_a_character_at_any_limit():
    text = "中文English混合😀文本" * 3
    for limit in range(0, len(text.encode()) + 2):
        cut = truncate_utf8(text, limit)
        assert len(cut.encode("utf-8")) <= limit
        assert text.startswith(cut.removesuffix("…"))


def test_fit_always_shows_that_lines_were_left_out():
    for limit in range(10, 200):
        lines = ["一行", "第二行文字", "x", "第四行"] * 5
        cut = fit("标题", lines, "链接", limit)
        assert len(cut.encode()) <= limit
        if cut != "\n".join(["标题", *lines, "链接"]):
            assert "…" in cut


def test_fit_keeps_title_and_tail_and_cuts_the_middle():
    lines = ["甲" * 10, "乙" * 10, "丙" * 10]
    assert fit("标题", lines, "链接", 1000) == "标题\n" + "\n".join(lines) + "\n链接"
    cut = fit("标题", lines, "链接", 60)
    assert len(cut.encode()) <= 60
    assert cut.startswith("标题\n" + "甲" * 10 + "\n")
    assert cut.endswith("…\n链接")
    tiny = fit("很长的标题" * 10, lines, "链接", 30)
    assert len(tiny.encode()) <= 30
    assert tiny.endswith("\n链接")
