"""Integration webhooks (issue 6 §4) and mail through a real SMTP sink."""

from __future__ import annotations

import pytest
from django.utils import translation

from linkstar.delivery import outbox, sending
from linkstar.delivery.models import Delivery, DeliveryState
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from tests.support.delivery import make_channel, smtp_sink, task_done_event

pytestmark = pytest.mark.django_db


def test_an_integration_webhook_gets_the_versioned_payload_signed(org, as_bob, project, receiver):
    robot = receiver("webhook", event=True, secret="erp-shared-key")
    channel = make_channel(
        org,
        kind="integration",
        url=robot.url,
        secret="erp-shared-key",
        events=[EventKind.TASK_DONE, EventKind.PROJECT_STAGE_CHANGED],
    )
    event = task_done_event(as_bob, project, note="licence uploaded")
    [delivery] = outbox.queue_webhooks(event=event)
    assert delivery.channel_id == channel.pk and delivery.kind == "integration"

    assert sending.deliver_due() == {"sent": 1}, [r.error for r in robot.requests]
    [received] = robot.accepted  # the receiver verified X-LinkStar-Signature
    body = received.json
    assert body["version"] == 1
    assert body["id"] == str(event.uuid)
    assert body["event"] == "task.done"
    assert body["organization"] == "acme"
    assert body["project"] == {
        "id": project.pk,
        "code": project.code,
        "store_name": "Xinghe Home US",
        "site": project.site.code,
        "stage": project.stage,
        "status": project.status,
    }
    assert body["task"]["id"] == event.task_id and body["task"]["key"]
    assert body["data"] == {"note": "licence uploaded"}
    assert body["occurred_at"].startswith(event.created_at.date().isoformat())
    assert received.headers["x-linkstar-signature"].startswith("sha256=")
    # shown in the delivery log
    assert Delivery.objects.get().attempt_log.get().status_code == 200


def test_a_wrong_secret_fails_the_signature_check_and_is_retried(org, as_bob, project, receiver):
    robot = receiver("webhook", event=True, secret="the-real-key")
    make_channel(org, kind="integration", url=robot.url, secret="a-stale-key", events=["task.done"])
    outbox.queue_webhooks(event=task_done_event(as_bob, project))
    assert sending.deliver_due() == {"failed": 1}
    assert "401" in Delivery.objects.get().last_error


def test_integration_webhooks_take_only_their_subscribed_events(org, as_bob, project):
    make_channel(
        org, kind="integration", url="http://127.0.0.1:9/", secret="k", events=["project.created"]
    )
    make_channel(org, kind="integration", url="http://127.0.0.1:9/", secret="k", events=[])
    make_channel(org, kind="wecom", url="http://127.0.0.1:9/")
    assert outbox.queue_webhooks(event=task_done_event(as_bob, project)) == []
    created = events.publish(EventKind.PROJECT_CREATED, actor=as_bob, project=project)
    [row] = outbox.queue_webhooks(event=created)
    assert row.payload["event"] == "project.created" and row.payload["task"] is None
    assert outbox.queue_webhooks(event=created) == []  # once per event and channel


@pytest.fixture
def smtp(settings):
    with smtp_sink(settings) as sink:
        yield sink


def test_mail_goes_through_smtp_to_the_recipient_in_their_language(org, alice, bob, smtp):
    bob.language = "en"
    bob.save()
    outbox.queue_email(
        user=alice,
        subject="任务即将到期：上传营业执照",
        body="项目：Xinghe Home US\n截止：2026-11-05\n\nhttp://127.0.0.1:8000/o/acme/",
        organization=org,
    )
    with translation.override("en"):
        subject = "Task due soon: upload the business licence"
    outbox.queue_email(user=bob, subject=subject, body="Project: Xinghe", organization=org)
    assert sending.deliver_due() == {"sent": 2}
    by_rcpt = {rcpts[0]: message for rcpts, message in smtp.messages}
    assert set(by_rcpt) == {"alice@example.com", "bob@example.com"}

    chinese = by_rcpt["alice@example.com"]
    assert chinese["Subject"] == "任务即将到期：上传营业执照"
    assert chinese["To"] == "alice@example.com"
    assert chinese["From"] == "LinkStar <noreply@linkstar.test>"
    assert chinese["Content-Language"] == "zh-Hans"
    plain = chinese.get_body(preferencelist=("plain",)).get_content()
    html = chinese.get_body(preferencelist=("html",)).get_content()
    assert "截止：2026-11-05" in plain
    assert '<html lang="zh-hans">' in html and "截止：2026-11-05" in html
    assert '<a href="http://127.0.0.1:8000/o/acme/"' in html
    assert "由 LinkStar 为 Acme 代运营 发送" in html

    english = by_rcpt["bob@example.com"]
    assert english["Subject"] == "Task due soon: upload the business licence"
    assert english["Content-Language"] == "en"
    assert "Sent by LinkStar for Acme" in english.get_body(("html",)).get_content()
    delivery = Delivery.objects.get(recipient=bob)
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempt_log.get().status_code == 250


def test_mail_to_a_server_that_is_down_is_retried(org, alice, settings):
    from tests.support.delivery import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    outbox.queue_email(user=alice, subject="x", body="y", organization=org)
    assert sending.deliver_due() == {"failed": 1}
    assert "Connection" in Delivery.objects.get().last_error


def test_html_of_a_mail_escapes_what_the_body_holds(org, alice, smtp):
    outbox.queue_email(
        user=alice, subject="评论", body="<script>alert(1)</script> 你好", organization=org
    )
    sending.deliver_due()
    [(_rcpt, message)] = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
