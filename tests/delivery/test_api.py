"""The channels and deliveries API: secrets masked and never audited, validation, test, retry."""

from __future__ import annotations

import json

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.delivery import outbox, sending
from linkstar.delivery.models import Channel, Delivery, DeliveryState
from tests.support.delivery import channel_for, make_channel, task_done_event

pytestmark = pytest.mark.django_db

DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef9f3a"
SECRET = "SECa1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_an_admin_adds_a_channel_whose_url_and_secret_come_back_masked(org, alice, api):
    r = api(alice).post(
        "/orgs/acme/channels",
        {"kind": "dingtalk", "name": "开店群", "url": DINGTALK_URL, "secret": SECRET},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["url_masked"] == "https://oapi.dingtalk.com/…9f3a"
    assert body["secret_masked"].startswith("SECa") and "*" in body["secret_masked"]
    text = json.dumps(body)
    assert "0123456789abcdef" not in text and SECRET not in text
    channel = Channel.objects.get(pk=body["id"])
    assert channel.url == DINGTALK_URL and channel.secret == SECRET  # decrypted in Python
    from django.db import connection

    from linkstar.core.crypto import PREFIX

    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret FROM delivery_channel WHERE id = %s", [channel.pk])
        url, secret = cursor.fetchone()
    assert url.startswith(PREFIX) and secret.startswith(PREFIX)
    event = AuditEvent.objects.get(action="channel.created")
    assert SECRET not in json.dumps(event.changes) and "access_token" not in json.dumps(
        event.changes
    )
    assert event.changes["secret"] == "set"


def test_patch_changes_the_secret_only_when_sent_and_audits_that_it_changed(org, alice, api):
    channel = make_channel(org, kind="feishu", url="https://open.feishu.cn/hook/x", secret="old")
    client = api(alice)
    r = client.patch(f"/orgs/acme/channels/{channel.pk}", {"name": "运营群", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    channel.refresh_from_db()
    assert channel.secret == "old"
    r = client.patch(f"/orgs/acme/channels/{channel.pk}", {"secret": "brand-new-secret"})
    assert r.status_code == 200
    channel.refresh_from_db()
    assert channel.secret == "brand-new-secret"
    last = AuditEvent.objects.filter(action="channel.updated").order_by("-pk").first()
    assert last.changes == {"secret": "changed"}
    r = client.patch(f"/orgs/acme/channels/{channel.pk}", {"name": "x", "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "telegram", "name": "x", "url": "https://x.example/"}, "kind"),
        ({"kind": "wecom", "name": "x", "url": "ftp://x.example/"}, "url"),
        ({"kind": "wecom", "name": "", "url": "https://x.example/"}, "name"),
        ({"kind": "wecom", "name": "x", "url": "https://x.example/", "events": ["nope"]}, "events"),
        (
            {"kind": "integration", "name": "ERP", "url": "https://x.example/", "secret": "k"},
            "events",
        ),
        ({"kind": "webhook", "name": "mine", "url": "https://x.example/"}, "secret"),
        (
            {"kind": "wecom", "name": "x", "url": "https://x.example/", "project_id": 999999},
            "project_id",
        ),
    ],
)
def test_bad_channel_input_names_the_field_and_changes_nothing(org, alice, api, body, field):
    before = AuditEvent.objects.count()
    r = api(alice).post("/orgs/acme/channels", body)
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert Channel.objects.count() == 0 and AuditEvent.objects.count() == before


def test_a_channel_of_another_organization_is_not_found(org, other_org, mallory, api):
    theirs = make_channel(org, kind="wecom", url="https://x.example/")
    r = api(mallory).get(f"/orgs/evil/channels/{theirs.pk}")
    assert r.status_code == 404


def test_send_test_message_answers_with_the_delivery_and_logs_it(org, alice, api, receiver):
    robot = receiver("wecom")
    channel = channel_for(org, robot)
    r = api(alice).post(f"/orgs/acme/channels/{channel.pk}/test")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "sent" and body["attempts"] == 1
    assert body["attempt_log"][0]["status_code"] == 200
    assert len(robot.accepted) == 1
    assert AuditEvent.objects.filter(action="channel.tested").exists()


def test_a_failed_test_message_is_dead_at_once_with_its_error(org, alice, api):
    channel = make_channel(org, kind="wecom", url="http://127.0.0.1:9/none")
    r = api(alice).post(f"/orgs/acme/channels/{channel.pk}/test")
    assert r.status_code == 200
    assert r.json()["state"] == "dead" and r.json()["last_error"]


def test_the_delivery_log_filters_and_retry_sends_a_dead_delivery_again(
    org, alice, api, as_bob, project, receiver, settings
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 1
    robot = receiver("webhook", fail_first=1)
    channel = channel_for(org, robot)
    other = make_channel(org, kind="wecom", url="http://127.0.0.1:9/x", enabled=False)
    outbox.queue_chat(
        event=task_done_event(as_bob, project), message=outbox.Message(title="任务已完成")
    )
    sending.deliver_due()
    client = api(alice)
    r = client.get("/orgs/acme/deliveries", state="dead", channel=channel.pk)
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["channel_name"] == channel.name and item["attempts"] == 1
    assert item["attempt_log"][0]["status_code"] == 500
    assert client.get("/orgs/acme/deliveries", channel=other.pk).json()["count"] == 0
    assert client.get("/orgs/acme/deliveries", kind="email").json()["count"] == 0

    r = client.post(f"/orgs/acme/deliveries/{item['id']}/retry")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "sent" and r.json()["attempts"] == 2
    assert AuditEvent.objects.filter(action="delivery.retried").count() == 1
    r = client.post(f"/orgs/acme/deliveries/{item['id']}/retry")
    assert r.status_code == 409 and r.json()["code"] == "delivery_not_retryable"


def test_deleting_a_channel_gives_up_its_unsent_deliveries_and_keeps_the_log(
    org, alice, api, as_bob, project
):
    channel = make_channel(org, kind="wecom", url="http://127.0.0.1:9/x")
    outbox.queue_chat(event=task_done_event(as_bob, project), message=outbox.Message(title="t"))
    r = api(alice).delete(f"/orgs/acme/channels/{channel.pk}")
    assert r.status_code == 204
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DEAD and delivery.channel_id is None
    assert delivery.target == channel.name


def test_the_delivery_list_costs_the_same_queries_for_many_rows(
    org, alice, api, as_bob, project, django_assert_max_num_queries, settings
):
    settings.LINKSTAR_DELIVERY_MAX_ATTEMPTS = 1
    for n in range(3):
        make_channel(org, kind="wecom", url=f"http://127.0.0.1:9/{n}", name=f"c{n}")
    for _ in range(10):
        outbox.queue_chat(event=task_done_event(as_bob, project), message=outbox.Message(title="t"))
    sending.deliver_due(max_seconds=5)
    client = api(alice)
    with django_assert_max_num_queries(8):
        r = client.get("/orgs/acme/deliveries", limit=500)
    assert r.json()["count"] == 30
    with django_assert_max_num_queries(6):
        assert client.get("/orgs/acme/channels").json()["count"] == 3
