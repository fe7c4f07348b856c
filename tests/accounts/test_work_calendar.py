"""Changing an organization's working-day calendar: who may, what is refused, the audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from linkstar.accounts.models import WorkCalendarSettings
from linkstar.accounts.workcalendar import (
    add_calendar_day,
    calendar_settings,
    remove_calendar_day,
    update_work_calendar,
    work_calendar,
)
from linkstar.audit.labels import action_label
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, PermissionDenied, StaleVersion
from tests.support.seed import actor_of

D = dt.date


@pytest.fixture(autouse=True)
def _a_new_organization(org):
    """From what a new organization has: no calendar row (every day works)."""


def fields_of(exc: InvalidInput) -> list[str]:
    return [e.field for e in exc.errors]


def test_a_new_organizations_dates_skip_nothing_until_it_sets_its_calendar(org, as_alice):
    row = calendar_settings(org)
    assert row.pk is None and row.weekdays == [0, 1, 2, 3, 4, 5, 6] and not row.use_cn_holidays
    cal = work_calendar(org.pk)
    assert cal.is_working_day(D(2026, 10, 1)) and cal.is_working_day(D(2026, 12, 5))
    update_work_calendar(actor=as_alice, weekdays=[0, 1, 2, 3, 4], use_cn_holidays=True)
    cal = work_calendar(org.pk)
    assert not cal.is_working_day(D(2026, 10, 1))  # National Day
    assert not cal.is_working_day(D(2026, 12, 5))  # a Saturday
    assert cal.is_working_day(D(2026, 10, 10))  # make-up Saturday


def test_an_admin_sets_weekdays_and_turns_off_the_shipped_list(org, as_alice):
    row = update_work_calendar(actor=as_alice, weekdays=[0, 1, 2, 3, 4, 5], use_cn_holidays=False)
    assert row.version == 1
    cal = work_calendar(org.pk)
    assert cal.is_working_day(D(2026, 12, 5))  # a Saturday
    assert cal.is_working_day(D(2026, 10, 1))  # China's holidays no longer count
    event = AuditEvent.objects.filter(action="calendar.changed").get()
    assert event.changes["weekdays"] == {"before": None, "after": [0, 1, 2, 3, 4, 5]}
    assert event.changes["use_cn_holidays"] == {"before": None, "after": False}


def test_an_admin_adds_and_removes_own_days(org, as_alice):
    add_calendar_day(actor=as_alice, date="2026-12-08", kind="holiday", name="公司年会")
    add_calendar_day(actor=as_alice, date=D(2026, 12, 12), kind="workday", name="补班")
    row = WorkCalendarSettings.objects.get(organization=org)
    assert row.exceptions == [
        {"date": "2026-12-08", "kind": "holiday", "name": "公司年会"},
        {"date": "2026-12-12", "kind": "workday", "name": "补班"},
    ]
    cal = work_calendar(org.pk)
    assert not cal.is_working_day(D(2026, 12, 8)) and cal.is_working_day(D(2026, 12, 12))
    remove_calendar_day(actor=as_alice, date="2026-12-08")
    assert work_calendar(org.pk).is_working_day(D(2026, 12, 8))
    assert AuditEvent.objects.filter(action="calendar.changed").count() == 3
    last = AuditEvent.objects.filter(action="calendar.changed").latest("id")
    assert last.changes["exceptions"]["after"] == [
        {"date": "2026-12-12", "kind": "workday", "name": "补班"}
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": ["mon"]}, "weekdays"),
        ({"use_cn_holidays": "yes"}, "use_cn_holidays"),
        ({"exceptions": [{"date": "2026-13-01", "kind": "holiday"}]}, "exceptions[0].date"),
        ({"exceptions": [{"date": "2026-12-01", "kind": "day off"}]}, "exceptions[0].kind"),
        (
            {"exceptions": [{"date": "2026-12-01", "kind": "holiday", "name": "x" * 101}]},
            "exceptions[0].name",
        ),
        (
            {
                "exceptions": [
                    {"date": "2026-12-01", "kind": "holiday"},
                    {"date": "2026-12-01", "kind": "workday"},
                ]
            },
            "exceptions[1].date",
        ),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(org, as_alice, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        update_work_calendar(actor=as_alice, **kwargs)
    assert field in fields_of(caught.value)
    assert not WorkCalendarSettings.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.filter(action="calendar.changed").exists()


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "frank"])
def test_only_an_administrator_changes_the_calendar(org, who, request):
    actor = actor_of(org, request.getfixturevalue(who))
    with pytest.raises(PermissionDenied):
        update_work_calendar(actor=actor, weekdays=[0, 1, 2, 3, 4, 5])
    with pytest.raises(PermissionDenied):
        add_calendar_day(actor=actor, date="2026-12-08", kind="holiday")
    assert not WorkCalendarSettings.objects.filter(organization=org).exists()


def test_a_stale_version_is_refused(org, as_alice):
    update_work_calendar(actor=as_alice, weekdays=[0, 1, 2, 3])
    with pytest.raises(StaleVersion):
        update_work_calendar(actor=as_alice, weekdays=[0, 1, 2], version=0)
    assert calendar_settings(org).weekdays == [0, 1, 2, 3]


def test_one_organizations_calendar_leaves_anothers_alone(org, other_org, as_alice):
    update_work_calendar(actor=as_alice, weekdays=[0, 1, 2, 3, 4], use_cn_holidays=True)
    assert not work_calendar(org.pk).is_working_day(D(2026, 10, 1))
    assert work_calendar(other_org.pk).is_working_day(D(2026, 10, 1))


def test_the_audit_log_names_the_change_in_words():
    with translation.override("zh-hans"):
        assert str(action_label("calendar.changed")) == "工作日历已修改"
    with translation.override("en"):
        assert str(action_label("calendar.changed")) == "Working-day calendar changed"
