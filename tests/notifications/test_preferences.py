"""Preferences: which events reach a person by mail and chat, digest, quiet hours; the mail in
the recipient's own language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput
from linkstar.delivery.digests import send_digests
from linkstar.delivery.models import Delivery
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import DigestRun, EmailState, Notification
from linkstar.notifications.services import update_preferences
from tests.support.delivery import make_channel
from tests.support.notifications import assign
from tests.support.seed import actor_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def mails(user=None):
    qs = Delivery.objects.filter(kind="email")
    if user is not None:
        qs = qs.filter(recipient=user)
    return list(qs.order_by("pk"))


def test_by_default_an_assignment_is_mailed_in_chinese(settled, as_bob, carol):
    task = assign(settled, as_bob, carol)
    [mail] = mails(carol)
    assert mail.payload["subject"] == f"任务已分配给你：{task.title}"
    body = mail.payload["body"]
    assert f"项目：{settled.code} Xinghe Home US" in body
    assert f"截止日期：{task.due_date.isoformat()}" in body
    assert f"http://127.0.0.1:8000/o/acme/tasks/{task.pk}/" in body
    assert mail.not_before is None


def test_an_english_reader_gets_english_mail(settled, as_bob, carol, settings):
    settings.LINKSTAR_BASE_URL = "https://linkstar.example"
    carol.language = "en"
    carol.save()
    task = assign(settled, as_bob, carol)
    [mail] = mails(carol)
    assert mail.payload["subject"] == f"Task assigned to you: {task.title_en or task.title}"
    assert f"Project: {settled.code} Xinghe Home US" in mail.payload["body"]
    assert f"Due date: {task.due_date.isoformat()}" in mail.payload["body"]
    assert f"https://linkstar.example/o/acme/tasks/{task.pk}/" in mail.payload["body"]
    assert "任务" not in mail.payload["subject"]


def test_mail_switched_off_for_a_kind_leaves_the_in_app_notification(settled, as_bob, carol, org):
    update_preferences(actor=actor_of(org, carol), email_kinds=[EventKind.TASK_DUE_SOON])
    assign(settled, as_bob, carol)
    assert mails(carol) == []
    assert Notification.objects.get(recipient=carol).email_state == EmailState.NONE


def test_quiet_hours_hold_the_mail_until_they_end(settled, as_bob, carol, org):
    update_preferences(actor=actor_of(org, carol), quiet_start="22:00", quiet_end="07:30")
    late = dt.datetime(2026, 12, 1, 23, 15, tzinfo=SHANGHAI)
    with clock.frozen_at(late):
        assign(settled, as_bob, carol)
    [mail] = mails(carol)
    assert mail.not_before == dt.datetime(2026, 12, 2, 7, 30, tzinfo=SHANGHAI)
    with clock.frozen_at(dt.datetime(2026, 12, 2, 6, 0, tzinfo=SHANGHAI)):
        assign(settled, as_bob, carol, position=1)
    assert mails(carol)[-1].not_before == dt.datetime(2026, 12, 2, 7, 30, tzinfo=SHANGHAI)
    with clock.frozen_at(dt.datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)):
        assign(settled, as_bob, carol, position=2)
    assert mails(carol)[-1].not_before is None


def test_a_digest_reader_gets_one_mail_a_day_listing_the_day_s_notifications(
    settled, as_bob, carol, org
):
    update_preferences(actor=actor_of(org, carol), digest=True)
    morning = dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    with clock.frozen_at(morning):
        first = assign(settled, as_bob, carol, position=0)
        second = assign(settled, as_bob, carol, position=1)
        assert mails(carol) == []  # nothing instant
        assert send_digests() == 0  # before the digest hour (18:00)
    with clock.frozen_at(morning.replace(hour=19)):
        assert send_digests() == 1
        assert send_digests() == 0  # once a day
    [digest] = mails(carol)
    assert "2026-12-01" in digest.payload["subject"] and "2" in digest.payload["subject"]
    assert first.title in digest.payload["body"] and second.title in digest.payload["body"]
    assert f"/o/acme/tasks/{first.pk}/" in digest.payload["body"]
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.DIGESTED}
    with clock.frozen_at(morning + dt.timedelta(days=1)):
        third = assign(settled, as_bob, carol, position=2)
    with clock.frozen_at(morning + dt.timedelta(days=1, hours=10)):
        assert send_digests() == 1
    assert third.title in mails(carol)[-1].payload["body"]
    assert first.title not in mails(carol)[-1].payload["body"]
    assert DigestRun.objects.filter(user=carol).count() == 2


def test_a_digest_due_in_quiet_hours_waits_for_them_to_end(settled, as_bob, carol, org):
    update_preferences(
        actor=actor_of(org, carol), digest=True, quiet_start="17:00", quiet_end="08:00"
    )
    with clock.frozen_at(dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)):
        assign(settled, as_bob, carol)
    with clock.frozen_at(dt.datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)):
        assert send_digests() == 1
    [digest] = mails(carol)
    assert digest.not_before == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)


def test_two_digest_runs_at_once_send_one_mail(settled, as_bob, carol, org):
    update_preferences(actor=actor_of(org, carol), digest=True)
    assign(settled, as_bob, carol)
    DigestRun.objects.create(organization=org, user=carol, day=clock.org_today(org))
    # the other worker holds today's run: this one sends nothing and changes nothing
    assert send_digests(force=True) == 0
    assert mails(carol) == []


def test_chat_mentions_the_recipients_who_want_it(settled, as_bob, carol, org):
    make_channel(org, kind="wecom", url="http://127.0.0.1:9/robot")
    assign(settled, as_bob, carol)
    [chat] = Delivery.objects.filter(kind="wecom")
    message = chat.payload["message"]
    assert message["mention_user_ids"] == [carol.pk]
    assert message["title"].startswith("任务已分配：")  # the organization's language, for a team
    assert any(settled.code in line for line in message["lines"])
    update_preferences(actor=actor_of(org, carol), chat_kinds=[])
    assign(settled, as_bob, carol, position=1)
    chat = Delivery.objects.filter(kind="wecom").order_by("pk").last()
    assert chat.payload["message"]["mention_user_ids"] == []


def test_preferences_are_validated_and_audited(org, carol):
    from linkstar.audit.models import AuditEvent

    actor = actor_of(org, carol)
    with pytest.raises(InvalidInput) as exc:
        update_preferences(actor=actor, email_kinds=["task.nonsense"])
    assert exc.value.errors[0].field == "email_kinds"
    with pytest.raises(InvalidInput) as exc:
        update_preferences(actor=actor, quiet_start="22:00")
    assert exc.value.errors[0].field == "quiet_end"
    with pytest.raises(InvalidInput) as exc:
        update_preferences(actor=actor, quiet_start="25:99", quiet_end="07:00")
    assert exc.value.errors[0].field == "quiet_start"
    update_preferences(actor=actor, digest=True)
    event = AuditEvent.objects.filter(action="notification.preferences_changed").get()
    assert event.changes["digest"] == {"before": False, "after": True}
