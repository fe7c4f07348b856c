"""The settings pages: channels, chat IDs, the delivery log."""

from __future__ import annotations

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.delivery import outbox, sending
from linkstar.delivery.models import Channel, ChatHandle, Delivery, DeliveryState
from tests.support.delivery import channel_for, make_channel, task_done_event

pytestmark = pytest.mark.django_db

SECRET = "SECfeedface0123456789abcdef"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_only_an_admin_opens_the_channel_and_log_pages(org, alice, bob, carol, frank, mallory):
    for path in ("/o/acme/settings/channels/", "/o/acme/settings/deliveries/"):
        assert browser(alice).get(path).status_code == 200
        for user in (bob, carol, frank):
            r = browser(user).get(path)
            assert r.status_code == 403
            assert b'id="forbidden"' in r.content
        assert browser(mallory).get(path).status_code == 404


def test_the_settings_tabs_show_channels_and_log_to_admins_and_chat_ids_to_all(org, alice, carol):
    page = browser(alice).get("/o/acme/settings/chat-ids/").content.decode()
    assert 'data-tab="channels"' in page and 'data-tab="deliveries"' in page
    page = browser(carol).get("/o/acme/settings/chat-ids/").content.decode()
    assert 'data-tab="chat_ids"' in page and 'data-tab="channels"' not in page


def test_an_admin_adds_a_channel_and_the_page_never_shows_the_secret(org, alice):
    client = browser(alice)
    r = client.post(
        "/o/acme/settings/channels/",
        {
            "kind": "dingtalk",
            "name": "开店群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok-0123456789",
            "secret": SECRET,
            "events": ["task.overdue", "task.due_soon"],
            "enabled": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    channel = Channel.objects.get()
    assert channel.secret == SECRET and channel.events == ["task.overdue", "task.due_soon"]
    page = client.get("/o/acme/settings/channels/").content.decode()
    assert "开店群" in page and SECRET not in page and "tok-0123456789" not in page
    assert "https://oapi.dingtalk.com/…6789" in page
    edit = client.get(f"/o/acme/settings/channels/{channel.pk}/").content.decode()
    assert SECRET not in edit and "tok-0123456789" not in edit


def test_a_bad_channel_form_shows_the_error_and_adds_nothing(org, alice):
    r = browser(alice).post(
        "/o/acme/settings/channels/",
        {"kind": "webhook", "name": "mine", "url": "https://example.com/hook", "secret": ""},
    )
    assert r.status_code == 422
    assert b"is-invalid" in r.content
    assert not Channel.objects.exists()


def test_editing_with_an_empty_secret_keeps_it(org, alice):
    channel = make_channel(org, kind="feishu", url="https://open.feishu.cn/x", secret=SECRET)
    r = browser(alice).post(
        f"/o/acme/settings/channels/{channel.pk}/",
        {"name": "新名字", "url": "", "secret": "", "project": "", "enabled": "on"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.name == "新名字" and channel.secret == SECRET
    assert channel.url == "https://open.feishu.cn/x" and channel.kind == "feishu"


def test_disable_and_delete_buttons(org, alice):
    channel = make_channel(org, kind="wecom", url="https://qyapi.weixin.qq.com/x")
    client = browser(alice)
    client.post(f"/o/acme/settings/channels/{channel.pk}/toggle/")
    channel.refresh_from_db()
    assert channel.enabled is False
    client.post(f"/o/acme/settings/channels/{channel.pk}/delete/")
    assert not Channel.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"channel.updated", "channel.deleted"} <= actions


def test_a_manager_cannot_change_channels_by_posting(org, alice, bob):
    channel = make_channel(org, kind="wecom", url="https://qyapi.weixin.qq.com/x")
    r = browser(bob).post(f"/o/acme/settings/channels/{channel.pk}/delete/")
    assert r.status_code in (302, 403)
    assert Channel.objects.filter(pk=channel.pk).exists()


def test_the_test_button_sends_and_says_what_the_robot_answered(org, alice, receiver):
    robot = receiver("feishu")
    channel = channel_for(org, robot)
    client = browser(alice)
    client.cookies["linkstar_language"] = "en"
    r = client.post(f"/o/acme/settings/channels/{channel.pk}/test/", follow=True)
    text = r.content.decode()
    assert "Test message sent" in text and "HTTP 200" in text
    assert len(robot.accepted) == 1


def test_everyone_edits_their_own_chat_ids_and_an_admin_anyones(org, alice, bob, carol):
    page = browser(carol).get("/o/acme/settings/chat-ids/").content.decode()
    assert f'data-user-id="{carol.pk}"' in page and f'data-user-id="{bob.pk}"' not in page
    r = browser(carol).post(
        f"/o/acme/settings/chat-ids/{carol.pk}/",
        {f"u{carol.pk}-mobile": "13800138000", f"u{carol.pk}-feishu_user_id": "ou_carol"},
    )
    assert r.status_code == 302
    handle = ChatHandle.objects.get(user=carol)
    assert handle.mobile == "13800138000" and handle.feishu_user_id == "ou_carol"

    # carol may not change bob's
    browser(carol).post(
        f"/o/acme/settings/chat-ids/{bob.pk}/", {f"u{bob.pk}-wecom_user_id": "hijack"}
    )
    assert not ChatHandle.objects.filter(user=bob).exists()

    # alice sees and edits everyone's
    page = browser(alice).get("/o/acme/settings/chat-ids/").content.decode()
    assert f'data-user-id="{bob.pk}"' in page and "13800138000" in page
    browser(alice).post(
        f"/o/acme/settings/chat-ids/{bob.pk}/", {f"u{bob.pk}-wecom_user_id": "bob.w"}
    )
    assert ChatHandle.objects.get(user=bob).wecom_user_id == "bob.w"
    event = AuditEvent.objects.filter(action="chat_handle.updated").first()
    assert "13800138000" not in str(event.changes)


def test_the_log_page_filters_shows_attempts_and_retries(
    org, alice, as_bob, project, receiver, settings
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 1
    robot = receiver("wecom", fail_first=1)
    channel = channel_for(org, robot, name="运营群")
    quiet = make_channel(org, kind="dingtalk", url="http://127.0.0.1:9/x", name="安静群")
    quiet.enabled = False
    quiet.save()
    outbox.queue_chat(event=task_done_event(as_bob, project), message=outbox.Message(title="完成"))
    sending.deliver_due()
    client = browser(alice)
    page = client.get("/o/acme/settings/deliveries/", {"state": "dead"}).content.decode()
    delivery = Delivery.objects.get(channel=channel)
    assert f'data-delivery-id="{delivery.pk}"' in page and "HTTP 500" in page
    page = client.get("/o/acme/settings/deliveries/", {"channel": channel.pk}).content.decode()
    assert page.count("data-delivery-id=") == 1
    page = client.get("/o/acme/settings/deliveries/", {"state": "sent"}).content.decode()
    assert "data-delivery-id=" not in page
    r = client.post(f"/o/acme/settings/deliveries/{delivery.pk}/retry/")
    assert r.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2


def test_the_log_page_costs_a_fixed_number_of_queries(
    org, alice, as_bob, project, settings, django_assert_max_num_queries
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 1
    client = browser(alice)

    def fill(n):
        for i in range(n):
            make_channel(org, kind="wecom", url=f"http://127.0.0.1:9/{i}", name=f"c{i}")
        for _ in range(n):
            outbox.queue_chat(event=task_done_event(as_bob, project), message=outbox.Message("t"))
        sending.deliver_due(max_seconds=5)

    fill(2)
    client.get("/o/acme/settings/deliveries/")  # warm caches (sessions, templates)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/o/acme/settings/deliveries/")
    fill(5)
    assert Delivery.objects.count() > 20
    with django_assert_max_num_queries(len(few)):
        r = client.get("/o/acme/settings/deliveries/")
    assert r.status_code == 200
    with django_assert_max_num_queries(len(few)):
        client.get("/o/acme/settings/channels/")
