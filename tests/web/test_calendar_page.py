"""The working-day calendar settings page (工作日历): administrators change it, others read it;
bad input is refused in the reader's language and changes nothing."""

from __future__ import annotations

import pytest

from linkstar.accounts.models import WorkCalendarSettings
from linkstar.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGE = "/o/acme/settings/workdays/"


@pytest.fixture(autouse=True)
def _a_new_organization(org):
    """From what a new organization has: no calendar row (every day works)."""


def _row(org):
    return WorkCalendarSettings.objects.filter(organization=org).first()


def test_the_page_is_in_the_settings_tabs_and_in_chinese_by_default(client, alice):
    client.force_login(alice)
    page = client.get(PAGE).content.decode()
    assert 'data-tab="workdays"' in page and "工作日历" in page
    assert "国务院办公厅关于2026年部分节假日安排的通知" in page
    assert "https://www.gov.cn/zhengce/content/202511/content_7047090.htm" in page
    assert "周六" in page and 'id="save-calendar"' in page
    assert 'id="weekday-0" checked' in page and 'id="weekday-6" checked' in page  # skips nothing


def test_the_page_reads_in_english_when_chosen(client, alice):
    client.force_login(alice)
    client.cookies["linkstar_language"] = "en"
    page = client.get(PAGE).content.decode()
    assert "Working-day calendar" in page and "Saturday" in page


def test_an_admin_saves_weekdays_and_turns_off_chinas_holidays(client, alice, org):
    client.force_login(alice)
    r = client.post(PAGE, {"action": "settings", "weekdays": ["0", "1", "2", "3", "4", "5"]})
    assert r.status_code == 302
    row = _row(org)
    assert row.weekdays == [0, 1, 2, 3, 4, 5] and row.use_cn_holidays is False
    assert AuditEvent.objects.filter(action="calendar.changed").count() == 1


def test_an_admin_adds_and_removes_an_own_day(client, alice, org):
    client.force_login(alice)
    r = client.post(
        PAGE, {"action": "add", "date": "2026-12-31", "kind": "holiday", "name": "年终盘点"}
    )
    assert r.status_code == 302
    assert _row(org).exceptions == [{"date": "2026-12-31", "kind": "holiday", "name": "年终盘点"}]
    page = client.get(PAGE).content.decode()
    assert 'data-remove="2026-12-31"' in page and "年终盘点" in page
    r = client.post(PAGE, {"action": "remove", "date": "2026-12-31"})
    assert r.status_code == 302
    assert _row(org).exceptions == []


def test_no_weekday_is_refused_in_chinese_and_changes_nothing(client, alice, org):
    client.force_login(alice)
    r = client.post(PAGE, {"action": "settings", "use_cn_holidays": "1"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "至少选择一个工作日" in page and "未做任何更改" in page
    assert _row(org) is None
    assert not AuditEvent.objects.filter(action="calendar.changed").exists()


def test_a_bad_date_is_refused_in_english_for_an_english_reader(client, alice, org):
    client.force_login(alice)
    client.cookies["linkstar_language"] = "en"
    r = client.post(PAGE, {"action": "add", "date": "31.12.2026", "kind": "holiday"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "A date is written YYYY-MM-DD." in page and "Nothing was changed." in page
    assert _row(org) is None


def test_a_manager_reads_the_calendar_but_may_not_change_it(client, bob, org):
    client.force_login(bob)
    page = client.get(PAGE).content.decode()
    assert 'id="save-calendar"' not in page and 'id="weekday-0" checked disabled' in page
    r = client.post(PAGE, {"action": "settings", "weekdays": ["0"]})
    assert r.status_code == 403
    assert _row(org) is None


def test_another_organizations_member_gets_404(client, mallory):
    client.force_login(mallory)
    assert client.get(PAGE).status_code == 404


def test_a_new_organization_sets_the_china_working_week_in_one_click(client, alice, org):
    client.force_login(alice)
    page = client.get(PAGE).content.decode()
    assert 'id="use-china-week"' in page and "调休" in page
    assert _row(org) is None  # nothing is skipped until it is set
    r = client.post(
        PAGE,
        {"action": "settings", "version": "0", "weekdays": list("01234"), "use_cn_holidays": "1"},
    )
    assert r.status_code == 302
    row = _row(org)
    assert row.weekdays == [0, 1, 2, 3, 4] and row.use_cn_holidays is True
    assert 'id="use-china-week"' not in client.get(PAGE).content.decode()
