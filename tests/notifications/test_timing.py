"""When people are told: reminders at the organization's working hour, quiet hours for chat
@-mentions, and several mails of one kind close together as one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.core import clock
from linkstar.delivery import sending
from linkstar.delivery.models import ChatHandle, Delivery
from linkstar.delivery.reminders import scan_reminders
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event
from linkstar.notifications.services import update_org_settings, update_preferences
from linkstar.projects.models import Task
from tests.support.delivery import channel_for, smtp_sink
from tests.support.notifications import assign
from tests.support.receivers import Receiver
from tests.support.seed import actor_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 2)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def smtp(settings):
    with smtp_sink(settings) as sink:
        yield sink


@pytest.fixture
def overdue(settled, carol):
    """carol's first task, due the day before ``DAY``."""
    task = settled.tasks.order_by("position").first()
    Task.objects.filter(pk=task.pk).update(assignee=carol, due_date=DAY - dt.timedelta(days=1))
    Task.objects.filter(project=settled).exclude(pk=task.pk).update(due_date=None)
    return task


def overdue_events() -> int:
    return Event.objects.filter(kind=EventKind.TASK_OVERDUE).count()


# --- reminders at a working hour ----------------------------------------------------------------


def test_reminders_wait_for_nine_in_the_organization_s_time_zone(overdue):
    for moment in (at(0, 5), at(3, 0), at(8, 59)):  # the first scans after midnight
        with clock.frozen_at(moment):
            assert scan_reminders() == {}
    assert overdue_events() == 0
    with clock.frozen_at(at(9, 10)):
        assert scan_reminders()[EventKind.TASK_OVERDUE] == 1
    with clock.frozen_at(at(17, 0)):
        scan_reminders()
    assert overdue_events() == 1  # once a day


def test_the_reminder_time_is_the_organization_s(overdue, as_alice, org):
    update_org_settings(actor=as_alice, reminder_time="07:30")
    with clock.frozen_at(at(7, 20)):
        assert scan_reminders() == {}
    with clock.frozen_at(at(7, 35)):
        assert scan_reminders()[EventKind.TASK_OVERDUE] == 1


def test_the_time_zone_is_the_organization_s(overdue, org):
    org.time_zone = "Europe/Berlin"
    org.save()
    berlin = ZoneInfo("Europe/Berlin")
    # 09:30 in Shanghai is 02:30 in Berlin: not yet
    with clock.frozen_at(at(9, 30)):
        assert scan_reminders() == {}
    with clock.frozen_at(dt.datetime(2026, 12, 2, 9, 15, tzinfo=berlin)):
        assert scan_reminders()[EventKind.TASK_OVERDUE] == 1


def test_the_reminder_time_is_checked(as_alice):
    from linkstar.core.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        update_org_settings(actor=as_alice, reminder_time="9 o'clock")
    assert caught.value.errors[0].field == "reminder_time"


def test_the_settings_page_and_api_take_the_reminder_time(org, alice, api):
    from tests.support.clients import login

    client = login(alice)
    r = client.post(
        "/o/acme/notifications/settings/",
        {
            "due_soon_days": "2, 0",
            "stalled_days": "5",
            "reminder_time": "08:45",
            "coalesce_shown": "1",
        },
    )
    assert r.status_code == 302
    body = api(alice).get("/orgs/acme/notification-settings").json()
    assert body["reminder_time"] == "08:45" and body["coalesce_mail"] is False
    r = api(alice).put("/orgs/acme/notification-settings", {"coalesce_mail": True})
    assert r.json()["coalesce_mail"] is True and r.json()["reminder_time"] == "08:45"


# --- quiet hours hold for chat @-mentions -------------------------------------------------------


def test_a_chat_message_in_someone_s_quiet_hours_does_not_mention_them(settled, as_bob, carol, org):
    update_preferences(actor=actor_of(org, carol), quiet_start="22:00", quiet_end="07:30")
    ChatHandle.objects.create(organization=org, user=carol, dingtalk_user_id="carol.dd")
    with Receiver("dingtalk") as robot:
        channel_for(org, robot)
        with clock.frozen_at(at(23, 15)):
            assign(settled, as_bob, carol, position=0)
            sending.deliver_due()
        [night] = robot.accepted
        assert night.json["at"]["atUserIds"] == [] and not night.mentions
        with clock.frozen_at(at(10, 0, DAY + dt.timedelta(days=1))):
            assign(settled, as_bob, carol, position=1)
            sending.deliver_due()
        day = robot.accepted[-1]
        assert day.mentions == ["carol.dd"]


# --- several mails of one kind as one -----------------------------------------------------------


def test_mails_of_one_kind_within_five_minutes_become_one(settled, as_bob, carol, smtp):
    with clock.frozen_at(at(10, 0)):
        first = assign(settled, as_bob, carol, position=0)
        sending.deliver_due()
        assert len(smtp.messages) == 1  # the first goes at once
        with clock.travel(minutes=1):
            second = assign(settled, as_bob, carol, position=1)
        with clock.travel(minutes=3):
            third = assign(settled, as_bob, carol, position=2)
            sending.deliver_due()
        assert len(smtp.messages) == 1  # the next ones wait for the end of the window
        with clock.travel(minutes=5, seconds=1):
            sending.deliver_due()
    assert len(smtp.messages) == 2
    _, mail = smtp.messages[1]
    assert str(mail["Subject"]).strip().startswith("2 条通知：")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert second.title in body and third.title in body and first.title not in body
    assert Delivery.objects.filter(kind="email").count() == 2


def test_mails_of_different_kinds_are_not_merged(settled, as_bob, carol, org, smtp):
    from linkstar.projects.services import add_comment

    with clock.frozen_at(at(10, 0)):
        assign(settled, as_bob, carol, position=0)
        with clock.travel(minutes=1):
            assign(settled, as_bob, carol, position=1)
            add_comment(actor=as_bob, project=settled, body="@Carol please look")
            from tests.support.notifications import process_all

            process_all()
            sending.deliver_due()
        with clock.travel(minutes=6):
            sending.deliver_due()
    subjects = sorted(m["Subject"] for _, m in smtp.messages)
    assert len(subjects) == 3  # first assignment, the mention (its own kind, at once), second


def test_someone_who_turned_it_off_gets_every_mail_at_once(settled, as_bob, carol, org, smtp):
    update_preferences(actor=actor_of(org, carol), coalesce_mail=False)
    with clock.frozen_at(at(10, 0)):
        for position in range(3):
            assign(settled, as_bob, carol, position=position)
        sending.deliver_due()
    assert len(smtp.messages) == 3


def test_an_organization_may_turn_it_off_for_its_members(
    settled, as_bob, as_alice, carol, org, smtp
):
    update_org_settings(actor=as_alice, coalesce_mail=False)
    with clock.frozen_at(at(10, 0)):
        for position in range(3):
            assign(settled, as_bob, carol, position=position)
        sending.deliver_due()
    assert len(smtp.messages) == 3
