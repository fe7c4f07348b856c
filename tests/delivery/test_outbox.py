"""The outbox: queueing, sending through real HTTP receivers, retries with backoff, giving up."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from linkstar.core import clock
from linkstar.delivery import outbox, sending
from linkstar.delivery.models import ChatHandle, Delivery, DeliveryAttempt, DeliveryState
from linkstar.delivery.outbox import Message
from linkstar.notifications.kinds import EventKind
from tests.support.delivery import channel_for, make_channel, task_done_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(as_bob, project):
    return task_done_event(as_bob, project)


def message(**extra) -> Message:
    return Message(
        title="任务已完成：上传营业执照",
        lines=["项目：Xinghe Home US", "截止：2026-11-05"],
        url="http://127.0.0.1:8000/o/acme/projects/1/",
        **extra,
    )


def test_queue_chat_makes_one_pending_row_per_enabled_channel_that_takes_the_event(
    org, event, project
):
    every = make_channel(org, kind="wecom", url="http://127.0.0.1:9/a")
    only_done = make_channel(
        org, kind="dingtalk", url="http://127.0.0.1:9/b", events=[EventKind.TASK_DONE]
    )
    make_channel(org, kind="feishu", url="http://127.0.0.1:9/c", events=[EventKind.TASK_OVERDUE])
    make_channel(org, kind="webhook", url="http://127.0.0.1:9/d", secret="s", enabled=False)
    make_channel(org, kind="integration", url="http://127.0.0.1:9/e", secret="s")
    rows = outbox.queue_chat(event=event, message=message())
    assert {r.channel_id for r in rows} == {every.pk, only_done.pk}
    assert all(r.state == DeliveryState.PENDING and r.event_id == event.pk for r in rows)
    assert rows[0].payload["message"]["title"] == "任务已完成：上传营业执照"


def test_queue_chat_twice_for_one_event_queues_once(org, event):
    make_channel(org, kind="wecom", url="http://127.0.0.1:9/a")
    outbox.queue_chat(event=event, message=message())
    assert outbox.queue_chat(event=event, message=message()) == []
    assert Delivery.objects.count() == 1


def test_a_project_channel_takes_only_its_projects_events(org, event, as_bob, amazon_na, entity):
    from linkstar.projects.services import create_project

    other = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Other Shop", entity_id=entity.pk
    )
    mine = make_channel(org, kind="wecom", url="http://127.0.0.1:9/a", project=event.project)
    theirs = make_channel(org, kind="wecom", url="http://127.0.0.1:9/b", project=other)
    rows = outbox.queue_chat(event=event, message=message())
    assert [r.channel_id for r in rows] == [mine.pk]
    assert theirs.pk not in {r.channel_id for r in rows}


def test_another_organizations_channels_get_nothing(org, other_org, event):
    make_channel(other_org, kind="wecom", url="http://127.0.0.1:9/a")
    assert outbox.queue_chat(event=event, message=message()) == []


def test_queued_rows_are_sent_by_the_job_after_commit(
    org, event, receiver, django_capture_on_commit_callbacks
):
    robot = receiver("wecom")
    channel_for(org, robot)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = outbox.queue_chat(event=event, message=message())
    assert len(callbacks) == 1
    # the job itself, as the worker runs it
    from linkstar.delivery.tasks import send_deliveries

    assert send_deliveries.call([rows[0].pk]) == {"sent": 1}
    delivery = Delivery.objects.get(pk=rows[0].pk)
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 1 and delivery.sent_at is not None
    assert len(robot.accepted) == 1
    assert "上传营业执照" in robot.accepted[0].json["markdown"]["content"]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_each_chat_kind_is_accepted_by_its_receiver_with_the_assignee_mentioned(
    org, event, receiver, carol, kind
):
    robot = receiver(kind)
    channel_for(org, robot)
    ChatHandle.objects.create(
        organization=org,
        user=carol,
        mobile="13800138000",
        wecom_user_id="carol.w",
        dingtalk_user_id="carol-dd",
        feishu_user_id="ou_carol",
    )
    outbox.queue_chat(event=event, message=message(mention_user_ids=[carol.pk]))
    counts = sending.deliver_due()
    assert counts == {"sent": 1}, [r.error for r in robot.requests]
    assert len(robot.accepted) == 1
    assert robot.accepted[0].mentions, "the assignee is @-mentioned"
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.error == "" and attempt.duration_ms >= 0


def test_a_receiver_answering_500_then_200_is_retried_after_the_backoff(
    org, event, receiver, settings
):
    settings.LINKSTAR_DELIVERY_RETRY_BASE_SECONDS = 60
    robot = receiver("dingtalk", fail_first=1)
    channel_for(org, robot)
    [delivery] = outbox.queue_chat(event=event, message=message())

    assert sending.deliver_due() == {"failed": 1}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error
    wait = delivery.next_attempt_at - clock.now()
    assert dt.timedelta(seconds=55) < wait <= dt.timedelta(seconds=60)

    # not yet due: nothing is sent
    with clock.travel(seconds=30):
        assert sending.deliver_due() == {}
    assert len(robot.requests) == 1

    with clock.travel(seconds=61):
        assert sending.deliver_due() == {"sent": 1}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    log = list(delivery.attempt_log.values_list("status_code", flat=True))
    assert log == [500, 200]
    assert len(robot.accepted) == 1


def test_backoff_doubles_and_the_limit_gives_up(org, event, receiver, settings):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 3
    settings.LINKSTAR_DELIVERY_RETRY_BASE_SECONDS = 10
    robot = receiver("webhook", fail_first=99)
    channel_for(org, robot)
    [delivery] = outbox.queue_chat(event=event, message=message())
    assert delivery.max_attempts == 3
    waits = []
    elapsed = dt.timedelta(0)
    for _ in range(3):
        with clock.travel(elapsed):
            sending.deliver_due()
            delivery.refresh_from_db()
            if delivery.state == DeliveryState.FAILED:
                waits.append(delivery.next_attempt_at - clock.now())
        elapsed += dt.timedelta(seconds=100)
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 3 and len(robot.requests) == 3
    assert [round(w.total_seconds()) for w in waits] == [10, 20]
    # a dead delivery is never picked up again
    with clock.travel(days=1):
        assert sending.deliver_due() == {}


def test_a_dead_channel_does_not_block_another(org, event, receiver, settings):
    settings.LINKSTAR_DELIVERY_TIMEOUT_SECONDS = 2
    dead = make_channel(org, kind="webhook", url="http://127.0.0.1:9/nobody", secret="s")
    robot = receiver("feishu")
    alive = channel_for(org, robot)
    outbox.queue_chat(event=event, message=message())
    counts = sending.deliver_due()
    assert counts == {"sent": 1, "failed": 1}
    assert Delivery.objects.get(channel=alive).state == DeliveryState.SENT
    failing = Delivery.objects.get(channel=dead)
    assert failing.state == DeliveryState.FAILED
    assert failing.last_status_code is None and failing.last_error
    assert len(robot.accepted) == 1


def test_a_platform_error_reply_with_http_200_is_a_failure(org, event, receiver):
    # (45009, "too fast", is no failure: tests/delivery/test_rate_limits.py)
    robot = receiver("wecom", reply={"errcode": 40008, "errmsg": "invalid message type"})
    channel_for(org, robot)
    outbox.queue_chat(event=event, message=message())
    assert sending.deliver_due() == {"failed": 1}
    delivery = Delivery.objects.get()
    assert delivery.last_status_code == 200 and "40008" in delivery.last_error


def test_a_disabled_or_deleted_channel_gives_its_pending_rows_up_without_sending(
    org, event, receiver
):
    robot = receiver("wecom")
    channel = channel_for(org, robot)
    outbox.queue_chat(event=event, message=message())
    channel.enabled = False
    channel.save()
    assert sending.deliver_due() == {"dead": 1}
    assert robot.requests == []


def test_a_row_left_sending_by_a_crashed_worker_is_sent_after_its_lease(org, event, receiver):
    robot = receiver("wecom")
    channel_for(org, robot)
    [delivery] = outbox.queue_chat(event=event, message=message())
    claimed = sending.claim()  # a worker takes it ... and dies
    assert [i.delivery.pk for i in claimed] == [delivery.pk]
    assert sending.deliver_due() == {}  # leased: nobody else sends it meanwhile
    with clock.travel(minutes=5):
        assert sending.deliver_due() == {"sent": 1}
    assert len(robot.accepted) == 1


def test_a_late_outcome_of_an_expired_lease_does_not_overwrite_the_new_holder(org, event, receiver):
    robot = receiver("wecom")
    channel_for(org, robot)
    outbox.queue_chat(event=event, message=message())
    [stale] = sending.claim()
    with clock.travel(minutes=5):
        [fresh] = sending.claim()
        sending.record(fresh, sending.transmit(fresh))
        sending.record(stale, sending.Result(error="timed out"))
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempt_log.count() == 2


def test_mail_for_one_event_and_person_is_queued_once(org, alice, event):
    first = outbox.queue_email(user=alice, subject="s", body="b", organization=org, event=event)
    again = outbox.queue_email(user=alice, subject="s", body="b", organization=org, event=event)
    assert again.pk == first.pk and Delivery.objects.count() == 1


def test_mail_waits_for_not_before(org, alice):
    later = clock.now() + dt.timedelta(hours=8)
    delivery = outbox.queue_email(
        user=alice, subject="摘要", body="今天的任务", organization=org, not_before=later
    )
    assert delivery.next_attempt_at == later
    assert sending.claim() == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_delivery_once(org, as_bob, project, receiver, settings):
    settings.LINKSTAR_DELIVERY_BATCH = 5
    robot = receiver("webhook")
    channel_for(org, robot)
    for n in range(20):
        event = task_done_event(as_bob, project, n=n)
        outbox.queue_chat(event=event, message=message())
    assert Delivery.objects.count() == 20
    results: list = []
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait()
            results.append(sending.deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.get("sent", 0) for r in results) == 20
    assert len(robot.requests) == 20
    assert set(Delivery.objects.values_list("state", "attempts")) == {("sent", 1)}
    assert DeliveryAttempt.objects.count() == 20
