"""Bottlenecks, approval lead times and the people's load, on hand-made histories."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest
from linkstar.core import clock
from linkstar.projects.models import Task
from linkstar.reports.facts import rebuild_organization
from linkstar.reports.selectors import Filters, report
from tests.support.clients import ApiClient
from tests.support.seed import PROJECT_START, build_project

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _finish(task: Task, *, started: dt.date, finished: dt.date) -> None:
    Task.objects.filter(pk=task.pk).update(
        status="done", started_at=_at(started), completed_at=_at(finished)
    )


@pytest.fixture
def steps(as_bob, mini_template, entity):
    """Six projects; their "collect" step is planned for 2 days, "check" for 1: collect took
    2, 3, 4, 6, 9 and 12 days (overruns 0, 1, 2, 4, 7, 10: median 3, 80 % 7); check took its
    planned day each time, finished by its due date."""
    projects = [
        build_project(manager=as_bob, template=mini_template, entity=entity, store_name=f"S{i}")
        for i in range(6)
    ]
    for project, took in zip(projects, [2, 3, 4, 6, 9, 12], strict=True):
        collect = project.tasks.get(key="collect")
        _finish(
            collect,
            started=collect.start_date,
            finished=collect.start_date + dt.timedelta(days=took),
        )
        check = project.tasks.get(key="check")
        _finish(check, started=check.start_date, finished=check.due_date)
    return projects


def test_the_step_that_overruns_most_comes_first(org, as_bob, steps):
    rebuild_organization(org)
    rows = report(
        actor=as_bob,
        filters=Filters(start=PROJECT_START, end=PROJECT_START + dt.timedelta(days=60)),
    )["bottlenecks"]
    assert [r["key"] for r in rows] == ["collect", "check"]
    collect, check = rows
    assert collect["overrun"] == {"n": 6, "enough": True, "median": 3.0, "p80": 7.0, "value": None}
    assert collect["planned_days"] == 2 and collect["title"] == "Collect documents"
    # on time: finished by the due date (start + 2 days): only the 2-day one
    assert collect["on_time"]["value"] == pytest.approx(100 / 6, abs=0.1)
    assert check["overrun"]["median"] == 0 and check["on_time"]["value"] == 100.0


def test_approval_lead_time_per_level(org, as_bob, bob, dave, erin, steps):
    task = steps[0].tasks.get(key="check")
    for hours in ([2, 5], [4, 30], [8, 1]):
        request = ApprovalRequest.objects.create(
            organization=org, task=task, project=steps[0], levels=2, status="approved"
        )
        ApprovalRequest.objects.filter(pk=request.pk).update(created_at=_at(PROJECT_START))
        first = _at(PROJECT_START) + dt.timedelta(hours=hours[0])
        ApprovalDecision.objects.create(
            request=request, level=1, decided_by=dave, decision="approve", at=first
        )
        ApprovalDecision.objects.create(
            request=request,
            level=2,
            decided_by=erin,
            decision="approve",
            at=first + dt.timedelta(hours=hours[1]),
        )
    rebuild_organization(org)
    levels = report(
        actor=as_bob,
        filters=Filters(start=PROJECT_START, end=PROJECT_START + dt.timedelta(days=30)),
    )["approvals"]
    assert [(a["level"], a["hours"]["median"], a["hours"]["n"]) for a in levels] == [
        (1, 4.0, 3),
        (2, 5.0, 3),
    ]
    assert not levels[0]["hours"]["enough"]


def test_the_people(org, as_bob, bob, carol, steps, on_project_start):
    Task.objects.filter(project__in=steps, key="submit").update(assignee=carol)
    people = {
        p["name"]: p
        for p in report(actor=as_bob, filters=Filters(start=PROJECT_START, end=PROJECT_START))[
            "people"
        ]["rows"]
    }
    assert people["Carol"]["open"] == 6 and people["Carol"]["overdue"] == 0


def test_the_report_in_the_api_and_who_may_read_it(bob, frank, grace, steps):
    answer = ApiClient(frank).get(
        "/orgs/acme/reports", start=PROJECT_START.isoformat(), end="2026-12-31"
    )
    assert answer.status_code == 200 and answer.json()["total"]["projects"] == 6
    assert ApiClient(grace).get("/orgs/acme/reports").status_code == 403
    bad = ApiClient(bob).get("/orgs/acme/reports", start="2026-12-31", end="2026-01-01")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end"


def test_tasks_finished_week_by_week_in_the_organizations_time(as_bob, carol, steps):
    # today is Wednesday 4 November 2026 (Shanghai); the weeks start on Mondays
    moment = dt.datetime.combine(dt.date(2026, 11, 4), dt.time(10), tzinfo=SHANGHAI)
    finished = [
        _at(dt.date(2026, 11, 2), 0) + dt.timedelta(minutes=5),  # Monday just after midnight
        _at(dt.date(2026, 11, 1), 23),  # Sunday night: the week before
        _at(dt.date(2026, 10, 20)),  # two weeks before
        _at(dt.date(2026, 9, 1)),  # before the eight weeks
    ]
    for project, at in zip(steps, finished, strict=False):
        task = project.tasks.get(key="submit")
        Task.objects.filter(pk=task.pk).update(status="done", assignee=carol, completed_at=at)
    with clock.frozen_at(moment):
        people = report(actor=as_bob, filters=Filters(start=PROJECT_START, end=PROJECT_START))[
            "people"
        ]
    assert people["weeks"][-3:] == ["2026-10-19", "2026-10-26", "2026-11-02"]
    (carol_row,) = [p for p in people["rows"] if p["name"] == "Carol"]
    assert carol_row["finished_per_week"] == [0, 0, 0, 0, 0, 1, 1, 1]
