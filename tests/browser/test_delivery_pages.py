"""The delivery pages in headless Chromium: an administrator adds chat robot channels (a real
WeCom and DingTalk receiver on 127.0.0.1), sends a test message, edits members' chat IDs, reads
and filters the delivery log, and retries a failed delivery after the robot is fixed."""

from __future__ import annotations

import pytest

from linkstar.delivery import sending
from linkstar.delivery.fanout import process_event
from linkstar.delivery.models import Channel, ChatHandle, Delivery, DeliveryState
from linkstar.notifications.models import Event
from tests.support.browser import english_left, fits, screenshot, signed_in_pages
from tests.support.delivery import task_done_event
from tests.support.receivers import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


@pytest.fixture
def robots():
    started = []

    def make(kind: str, **options) -> Receiver:
        robot = Receiver(kind, **options).start()
        started.append(robot)
        return robot

    yield make
    for robot in started:
        robot.stop()


def add_channel(page, *, kind: str, name: str, url: str, secret: str = "") -> Channel:
    page.select_option("#channel-form #id_kind", kind)
    page.fill("#channel-form #id_name", name)
    page.fill("#channel-form #id_url", url)
    if secret:
        page.fill("#channel-form #id_secret", secret)
    with page.expect_navigation():
        page.click("#add-channel")
    assert page.locator("#flash .alert-success").count() == 1, page.locator("main").inner_text()
    return Channel.objects.get(name=name)


def row_of(page, channel: Channel):
    return page.locator(f'#channel-table tr[data-channel-id="{channel.pk}"]')


def test_an_admin_adds_robots_tests_them_and_never_sees_a_secret_again(
    open_as, org, alice, carol, robots
):
    wecom = robots("wecom")
    dingtalk = robots("dingtalk")
    page = open_as(alice)
    page.goto(page.base_url + "/o/acme/settings/channels/")
    assert page.locator("#settings-nav [data-tab=channels].active").count() == 1

    group = add_channel(page, kind="wecom", name="开店群 WeCom", url=wecom.url)
    assert group.kind == "wecom" and group.url == wecom.url
    with page.expect_navigation():
        row_of(page, group).locator("[data-action=test]").click()
    assert page.locator("#flash .alert-success").count() == 1
    assert "200" in page.locator("#flash").inner_text()
    [request] = wecom.requests
    assert request.accepted, request.error
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": wecom.token}
    assert request.json["msgtype"] in {"markdown", "text"}
    body = request.json[request.json["msgtype"]]
    assert set(body) <= {"content", "mentioned_list", "mentioned_mobile_list"}
    assert "开店群 WeCom" in body["content"]

    ding = add_channel(
        page, kind="dingtalk", name="钉钉运营群", url=dingtalk.url, secret=dingtalk.secret
    )
    assert ding.secret == dingtalk.secret
    with page.expect_navigation():
        row_of(page, ding).locator("[data-action=test]").click()
    assert page.locator("#flash .alert-success").count() == 1
    [signed] = dingtalk.requests
    assert signed.accepted, signed.error  # timestamp + HMAC-SHA256 sign checked by the robot
    assert dingtalk.secret not in page.content()
    assert dingtalk.token not in page.content() and wecom.token not in page.content()
    assert fits(page, 1366)
    screenshot(page, "channel-settings")

    with page.expect_navigation():
        row_of(page, ding).locator("a").first.click()
    assert dingtalk.secret not in page.content()
    assert dingtalk.token not in page.content()
    assert page.input_value("#channel-form #id_secret") == ""
    masked = page.locator("#channel-secrets").inner_text()
    assert "*" in masked and dingtalk.secret[-4:] in masked
    assert page.locator("#channel-form #id_kind").is_disabled()
    page.fill("#channel-form #id_name", "钉钉运营群（美国站）")
    with page.expect_navigation():
        page.click("#save-channel")
    ding.refresh_from_db()
    assert ding.name == "钉钉运营群（美国站）" and ding.secret == dingtalk.secret

    # Members' chat IDs: the administrator fills in carol's.
    with page.expect_navigation():
        page.click("#settings-nav [data-tab=chat_ids]")
    row = page.locator(f'#chat-id-table tr[data-user-id="{carol.pk}"]')
    row.locator("input[name$='-mobile']").fill("13800138000")
    row.locator("input[name$='-wecom_user_id']").fill("CaroL")
    with page.expect_navigation():
        row.locator("[data-action=save]").click()
    assert page.locator("#flash .alert-success").count() == 1
    handle = ChatHandle.objects.get(user=carol)
    assert (handle.mobile, handle.wecom_user_id) == ("13800138000", "CaroL")
    row = page.locator(f'#chat-id-table tr[data-user-id="{carol.pk}"]')
    assert row.locator("input[name$='-mobile']").input_value() == "13800138000"

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("channels/", f"channels/{ding.pk}/", "chat-ids/"):
        page.goto(page.base_url + "/o/acme/settings/" + path)
        assert fits(page, 390), path


def test_a_failed_delivery_is_logged_and_sent_by_retry_now_once_the_robot_is_fixed(
    open_as, org, alice, project, as_bob, robots
):
    healthy = robots("wecom")
    broken = robots("wecom", token="broken-robot-key", fail_first=2)  # 500 twice, then fine
    page = open_as(alice)
    page.goto(page.base_url + "/o/acme/settings/channels/")
    good = add_channel(page, kind="wecom", name="Healthy group", url=healthy.url)
    bad = add_channel(page, kind="wecom", name="Broken group", url=broken.url)

    Event.objects.update(processed_at=None)  # the project's creation too: more rows to filter
    task_done_event(as_bob, project)
    for event_id in Event.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        process_event(event_id)
    outcome = sending.deliver_due()
    assert outcome.get("failed") == 2 and outcome.get("sent") >= 2, outcome
    failed = list(Delivery.objects.filter(channel=bad, state=DeliveryState.FAILED))
    assert len(failed) == 2

    page.goto(page.base_url + "/o/acme/settings/deliveries/")
    assert page.locator("#delivery-table tbody tr[data-delivery-id]").count() >= 4
    page.select_option("#id_state", "failed")
    with page.expect_navigation():
        page.click("#delivery-filter-submit")
    rows = page.locator("#delivery-table tbody tr[data-delivery-id]")
    assert rows.count() == 2
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.state)")) == {"failed"}
    first = page.locator(f'#delivery-table tr[data-delivery-id="{failed[0].pk}"]')
    first.locator("details summary").click()
    assert "HTTP 500" in first.locator(".ls-attempts").inner_text()
    screenshot(page, "delivery-log")

    page.select_option("#id_state", "")
    page.select_option("#id_channel", str(good.pk))
    with page.expect_navigation():
        page.click("#delivery-filter-submit")
    rows = page.locator("#delivery-table tbody tr[data-delivery-id]")
    assert rows.count() >= 2
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.state)")) == {"sent"}
    assert "Broken group" not in page.locator("#delivery-table").inner_text()

    page.goto(page.base_url + "/o/acme/settings/deliveries/?state=failed")
    with page.expect_navigation():
        page.locator(
            f'#delivery-table tr[data-delivery-id="{failed[0].pk}"] [data-action=retry]'
        ).click()
    assert page.locator("#flash .alert-success").count() == 1
    assert "state=failed" in page.url  # back to the same filtered log
    failed[0].refresh_from_db()
    assert failed[0].state == DeliveryState.SENT and failed[0].attempts == 2
    assert broken.accepted

    page.goto(page.base_url + f"/o/acme/settings/deliveries/?channel={bad.pk}")
    states = page.locator("#delivery-table tbody tr[data-delivery-id]").evaluate_all(
        "els => els.map(e => e.dataset.state)"
    )
    assert sorted(states) == ["failed", "sent"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)


def test_an_operator_gets_403_on_channels_and_the_log_but_edits_her_chat_ids(open_as, org, carol):
    page = open_as(carol)
    for path in ("channels/", "deliveries/"):
        response = page.goto(page.base_url + "/o/acme/settings/" + path)
        assert response.status == 403
        assert page.locator("#forbidden").is_visible()
    page.goto(page.base_url + "/o/acme/settings/chat-ids/")
    assert page.locator("#settings-nav [data-tab=channels]").count() == 0
    rows = page.locator("#chat-id-table tr[data-user-id]")
    assert rows.count() == 1
    rows.first.locator("input[name$='-dingtalk_user_id']").fill("carol-ding")
    with page.expect_navigation():
        rows.first.locator("[data-action=save]").click()
    assert ChatHandle.objects.get(user=carol).dingtalk_user_id == "carol-ding"


def test_the_delivery_pages_are_all_in_chinese(open_as, org, alice, robots):
    robot = robots("wecom")
    page = open_as(alice, locale="zh-CN")
    page.goto(page.base_url + "/o/acme/settings/channels/")
    assert english_left(page) == []
    channel = add_channel(page, kind="wecom", name="开店群", url=robot.url)
    with page.expect_navigation():
        row_of(page, channel).locator("[data-action=test]").click()
    assert english_left(page) == []
    for path in (f"channels/{channel.pk}/", "chat-ids/", "deliveries/"):
        page.goto(page.base_url + "/o/acme/settings/" + path)
        assert english_left(page) == [], path
