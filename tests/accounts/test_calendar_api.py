"""GET and PUT /orgs/{org}/calendar: the working-day calendar through the REST API."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.accounts.models import WorkCalendarSettings
from linkstar.accounts.workcalendar import work_calendar
from linkstar.audit.models import AuditEvent
from linkstar.projects.services import create_project
from tests.support.seed import MINI_TASKS, publish_template


@pytest.fixture(autouse=True)
def _a_new_organization(org):
    """From what a new organization has: no calendar row (every day works)."""


def test_a_member_reads_the_default_calendar_with_the_shipped_sources(api, carol):
    r = api(carol).get("/orgs/acme/calendar")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weekdays"] == [0, 1, 2, 3, 4, 5, 6]  # a new organization's dates skip nothing
    assert body["use_cn_holidays"] is False
    assert body["exceptions"] == [] and body["version"] == 0
    assert body["shipped"]["years"] == [2025, 2026]
    assert [s["year"] for s in body["shipped"]["sources"]] == [2025, 2026]
    assert body["shipped"]["sources"][1]["title"] == "国务院办公厅关于2026年部分节假日安排的通知"
    assert body["shipped"]["sources"][1]["url"].startswith("https://www.gov.cn/")


def test_an_admin_puts_weekdays_and_own_days_and_it_is_audited(api, alice, org):
    r = api(alice).put(
        "/orgs/acme/calendar",
        {
            "weekdays": [5, 0, 1, 2, 3, 4],
            "use_cn_holidays": False,
            "exceptions": [
                {"date": "2026-12-31", "kind": "holiday", "name": "年终盘点"},
                {"date": "2026-12-27", "kind": "workday"},
            ],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["weekdays"] == [0, 1, 2, 3, 4, 5]
    assert body["exceptions"] == [
        {"date": "2026-12-27", "kind": "workday", "name": ""},
        {"date": "2026-12-31", "kind": "holiday", "name": "年终盘点"},
    ]
    assert body["version"] == 1
    cal = work_calendar(org.pk)
    assert cal.is_working_day(dt.date(2026, 12, 27))  # a Sunday made a working day
    assert not cal.is_working_day(dt.date(2026, 12, 31))
    assert AuditEvent.objects.filter(action="calendar.changed").count() == 1


def test_fields_left_out_keep_their_value(api, alice):
    api(alice).put("/orgs/acme/calendar", {"weekdays": [0, 1, 2, 3, 4, 5]})
    r = api(alice).put("/orgs/acme/calendar", {"use_cn_holidays": False})
    assert r.json()["weekdays"] == [0, 1, 2, 3, 4, 5]


def test_bad_input_is_422_naming_the_field_and_changes_nothing(api, alice, org):
    r = api(alice).put(
        "/orgs/acme/calendar",
        {"weekdays": [0], "exceptions": [{"date": "31/12/2026", "kind": "holiday"}]},
    )
    assert r.status_code == 422, r.content
    assert "exceptions[0].date" in [e["field"] for e in r.json()["errors"]]
    assert not WorkCalendarSettings.objects.filter(organization=org).exists()
    r = api(alice).put("/orgs/acme/calendar", {"weekdays": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "weekdays"


def test_a_stale_version_is_409(api, alice):
    api(alice).put("/orgs/acme/calendar", {"weekdays": [0, 1, 2, 3]})
    r = api(alice).put("/orgs/acme/calendar", {"weekdays": [0, 1, 2], "version": 0})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"


def test_a_manager_may_not_change_it_and_another_org_does_not_see_it(api, bob, mallory):
    r = api(bob).put("/orgs/acme/calendar", {"weekdays": [0, 1, 2, 3, 4, 5]})
    assert r.status_code == 403
    assert api(mallory).get("/orgs/acme/calendar").status_code == 404


def test_projects_created_after_a_change_use_it(api, alice, as_alice, as_bob, entity):
    api(alice).put(
        "/orgs/acme/calendar",
        {"exceptions": [{"date": "2026-11-03", "kind": "holiday", "name": "团建"}]},
    )
    template = publish_template(as_alice, MINI_TASKS)
    project = create_project(
        actor=as_bob,
        template_id=template.pk,
        store_name="After the change",
        entity_id=entity.pk,
        start_date=dt.date(2026, 11, 2),
    )
    collect = project.tasks.get(key="collect")  # 2 working days from Monday, Tuesday off
    assert (collect.start_date, collect.due_date) == (dt.date(2026, 11, 2), dt.date(2026, 11, 5))
