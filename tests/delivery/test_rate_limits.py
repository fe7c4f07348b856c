"""Chat robots within their platforms' limits: a shared sliding window per channel, "too fast"
answers that wait without spending attempts, set-up errors that fail at once and say what to fix,
security keywords, and people's words shown as typed in markdown."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.core import clock
from linkstar.delivery import outbox, sending
from linkstar.delivery.models import Channel, Delivery, DeliveryAttempt, DeliveryState, RateSlot
from linkstar.delivery.outbox import Message
from linkstar.delivery.services import create_channel, update_channel
from tests.support.delivery import channel_for, task_done_event

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


def queue(project, actor, n: int, **message) -> list[Delivery]:
    rows = []
    for i in range(n):
        event = task_done_event(actor, project, n=i)
        rows += outbox.queue_chat(
            event=event, message=Message(title=message.get("title", f"消息 {i}"), lines=[])
        )
    return rows


def most_in_any(requests, seconds: float) -> int:
    times = sorted(r.at for r in requests)
    span = dt.timedelta(seconds=seconds)
    return max((sum(1 for t in times if a - span < t <= a) for a in times), default=0)


def drive(step: dt.timedelta, steps: int) -> None:
    """The worker's sweep every ``step`` of travelled time."""
    for i in range(steps):
        with clock.travel(step * i):
            sending.deliver_due()


def test_dingtalk_gets_no_more_than_twenty_a_minute_and_nothing_delayed_ends_dead(
    org, project, as_bob, receiver, settings
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 2
    robot = receiver("dingtalk", per_minute=20)
    channel_for(org, robot)
    with clock.frozen_at(START):
        rows = queue(project, as_bob, 45)
        drive(dt.timedelta(seconds=7), 60)  # seven minutes
    states = dict(Delivery.objects.values_list("pk", "state"))
    assert len(rows) == 45
    assert set(states.values()) == {DeliveryState.SENT}
    assert not robot.refused  # never answered 130101: the limit was kept, not discovered
    assert len(robot.accepted) == 45
    assert most_in_any(robot.requests, 60) <= 20
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_the_window_is_shared_by_workers_through_the_database(org, project, as_bob, receiver):
    robot = receiver("wecom", per_minute=20)
    channel = channel_for(org, robot)
    with clock.frozen_at(START):
        queue(project, as_bob, 30)
        # two workers, each claiming what it may
        first = sending.send_due(limit=15)
        second = sending.send_due(limit=15)
    assert first == {"sent": 15} and second == {"sent": 5}
    assert RateSlot.objects.filter(channel=channel).count() == 20
    waiting = Delivery.objects.filter(state=DeliveryState.PENDING)
    assert waiting.count() == 10
    assert all(d.attempts == 0 and d.next_attempt_at > START for d in waiting)


def test_feishu_gets_no_more_than_five_a_second(org, project, as_bob, receiver):
    robot = receiver("feishu")
    channel_for(org, robot)
    with clock.frozen_at(START):
        queue(project, as_bob, 12)
        drive(dt.timedelta(milliseconds=250), 40)
    assert len(robot.accepted) == 12
    assert most_in_any(robot.requests, 1) <= 5


def test_too_fast_waits_the_block_time_and_does_not_count_as_an_attempt(
    org, project, as_bob, receiver, settings
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 1
    robot = receiver("dingtalk", limited_first=3)  # someone else filled the robot's minute
    channel = channel_for(org, robot)
    with clock.frozen_at(START):
        [row] = queue(project, as_bob, 1)
        sending.deliver_due()
        row.refresh_from_db()
        assert row.state == DeliveryState.PENDING and row.attempts == 0
        # DingTalk throttles for ten minutes: nothing is tried before
        assert row.next_attempt_at >= START + dt.timedelta(minutes=10)
        channel.refresh_from_db()
        assert channel.blocked_until >= START + dt.timedelta(minutes=10)
        with clock.travel(minutes=9):
            assert sending.deliver_due() == {}
        for hop in (11, 22, 33):
            with clock.travel(minutes=hop):
                sending.deliver_due()
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT and row.attempts == 1
    assert DeliveryAttempt.objects.filter(delivery=row).count() == 4
    assert len(robot.requests) == 4


@pytest.mark.parametrize(
    ("kind", "robot_options", "hint"),
    [
        ("dingtalk", {"secret": "another-secret"}, "加签"),
        ("dingtalk", {"token": "another-token"}, "Webhook"),
        ("wecom", {"token": "another-key"}, "webhook"),
        ("feishu", {"secret": "another-secret"}, "签名校验"),
    ],
)
def test_a_set_up_error_fails_at_once_and_the_channel_page_says_what_to_fix(
    kind, robot_options, hint, org, project, as_bob, receiver, client, alice
):
    from tests.support.receivers import DEFAULT_SECRETS, DEFAULT_TOKENS, Receiver

    robot = receiver(kind, **robot_options)
    # the channel holds the URL and secret the platform handed out, the robot was changed since
    right = Receiver(kind)
    url = robot.url.replace(robot.token, DEFAULT_TOKENS[kind]) if robot.token else robot.url
    channel = Channel.objects.create(
        organization=org, kind=kind, name="robot", url=url, secret=DEFAULT_SECRETS[kind]
    )
    del right
    with clock.frozen_at(START):
        [row] = queue(project, as_bob, 1)
        sending.deliver_due()
    row.refresh_from_db()
    assert row.state == DeliveryState.DEAD and row.attempts == 1
    channel.refresh_from_db()
    assert channel.problem and channel.problem_hint
    client.force_login(alice)
    page = client.get("/o/acme/settings/channels/").content.decode()
    assert "channel-problem" in page and hint in page


def test_a_message_through_again_clears_the_problem(org, project, as_bob, receiver):
    robot = receiver("dingtalk")
    channel = channel_for(org, robot)
    Channel.objects.filter(pk=channel.pk).update(problem="error 310000: sign not match")
    queue(project, as_bob, 1)
    sending.deliver_due()
    channel.refresh_from_db()
    assert channel.problem == "" and channel.problem_hint == ""


def test_every_message_contains_the_robot_s_security_keywords(
    org, project, as_bob, as_alice, receiver
):
    robot = receiver("dingtalk")
    channel = create_channel(
        actor=as_alice,
        kind="dingtalk",
        name="团队群",
        url=robot.url,
        secret=robot.secret,
        keywords="LinkStar, 开店",
    )
    assert channel.keywords == ["LinkStar", "开店"]
    queue(project, as_bob, 1, title="开店项目 AMZ-US-0001 已完成")
    sending.deliver_due()
    text = robot.last.json["markdown"]["text"]
    assert "LinkStar" in text and "开店" in text
    update_channel(actor=as_alice, channel=channel, keywords=["提醒"])
    channel.refresh_from_db()
    assert channel.keywords == ["提醒"]


def test_keywords_are_checked(as_alice):
    from linkstar.core.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        create_channel(
            actor=as_alice,
            kind="dingtalk",
            name="x",
            url="http://127.0.0.1:9/robot/send",
            keywords=["x" * 21],
        )
    assert caught.value.errors[0].field == "keywords"


@pytest.mark.parametrize("kind", ["dingtalk", "wecom"])
def test_people_s_words_show_as_typed_in_markdown(kind, org, project, as_bob, receiver):
    robot = receiver(kind)
    channel_for(org, robot)
    event = task_done_event(as_bob, project)
    outbox.queue_chat(
        event=event,
        message=Message(
            title="# 大标题",
            lines=['“看 [这里](http://evil.example) <font color="warning">红</font> **粗**”'],
            url="http://127.0.0.1:8000/o/acme/tasks/1/",
        ),
    )
    sending.deliver_due()
    document = robot.last.json
    text = document["markdown"]["text" if kind == "dingtalk" else "content"]
    assert "[这里](" not in text and "<font" not in text and "**粗**" not in text
    assert "\n# " not in text and "# 大标题" not in text
    assert "［这里］" in text and "＜font" in text
    # our own link still works
    assert "[http://127.0.0.1:8000/o/acme/tasks/1/](http://127.0.0.1:8000/o/acme/tasks/1/)" in text


def test_the_api_takes_keywords_and_tells_the_problem(org, alice, bob):
    from tests.support.clients import ApiClient

    api = ApiClient(alice)
    answer = api.post(
        "/orgs/acme/channels",
        {
            "kind": "dingtalk",
            "name": "群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "keywords": ["LinkStar"],
        },
    )
    assert answer.status_code == 201, answer.content
    channel = answer.json()
    assert channel["keywords"] == ["LinkStar"] and channel["problem"] == ""
    Channel.objects.filter(pk=channel["id"]).update(problem="error 310000: keywords not in content")
    patched = api.patch(f"/orgs/acme/channels/{channel['id']}", {"keywords": ["开店", "提醒"]})
    assert patched.json()["keywords"] == ["开店", "提醒"]
    assert "加签" in patched.json()["problem"]
    bad = api.patch(
        f"/orgs/acme/channels/{channel['id']}", {"keywords": [f"k{i}" for i in range(11)]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "keywords"
    assert (
        ApiClient(bob).patch(f"/orgs/acme/channels/{channel['id']}", {"keywords": []}).status_code
        == 403
    )


def test_a_message_for_a_robot_at_its_limit_joins_the_one_waiting(org, project, as_bob, receiver):
    robot = receiver("dingtalk", per_minute=20)
    channel_for(org, robot)
    with clock.frozen_at(START):
        queue(project, as_bob, 22)
        sending.deliver_due()
        assert len(robot.accepted) == 20  # two wait for room
        later = queue(project, as_bob, 5, title="稍后的消息")
        assert Delivery.objects.count() == 22  # they joined the first waiting message
        waiting = Delivery.objects.filter(state=DeliveryState.PENDING).order_by("pk").first()
        assert {d.pk for d in later} == {waiting.pk}
        assert waiting.payload["message"]["title"] == "6 条通知"
        assert waiting.payload["message"]["lines"][:2] == ["消息 20", "稍后的消息"]
        drive(dt.timedelta(seconds=10), 12)
    assert len(robot.accepted) == 22 and not robot.refused
    merged = [r for r in robot.accepted if "6 条通知" in r.json["markdown"]["text"]]
    assert len(merged) == 1
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_nothing_joins_a_message_a_worker_holds(org, project, as_bob, receiver):
    robot = receiver("wecom", per_minute=20)
    channel_for(org, robot)
    with clock.frozen_at(START):
        queue(project, as_bob, 21)
        sending.deliver_due()
        Delivery.objects.filter(state=DeliveryState.PENDING).update(lease_token="held")
        queue(project, as_bob, 1)
    assert Delivery.objects.count() == 22
