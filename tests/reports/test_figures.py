"""The report's figures on a small made-up history whose answers are worked out by hand, and the
facts kept up to date by the project services."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from linkstar.core import clock
from linkstar.projects.models import StoreProject
from linkstar.projects.services import change_stage
from linkstar.reports.facts import rebuild_organization, refresh_changed
from linkstar.reports.models import ProjectFact
from linkstar.reports.selectors import Filters, report
from tests.support.clients import client_for
from tests.support.gates import pass_gates
from tests.support.reports import days, lived
from tests.support.seed import PROJECT_START, build_project

D0 = PROJECT_START


@pytest.fixture
def history(as_bob, mini_template, entity):
    """Six stores of amazon-us started on D0 (the answers in the test's comments)."""

    def store(name, *moves):
        project = build_project(
            manager=as_bob, template=mini_template, entity=entity, store_name=name
        )
        return lived(project, *[(stage, days(D0, n)) for stage, n in moves])

    return [
        store("P1", ("under_review", 10), ("opened", 30)),
        store("P2", ("under_review", 12), ("needs_info", 15), ("under_review", 18), ("opened", 40)),
        store("P3", ("under_review", 8), ("rejected", 20)),
        store(
            "P4",
            ("under_review", 20),
            ("needs_info", 22),
            ("under_review", 25),
            ("needs_info", 27),
            ("under_review", 29),
            ("opened", 50),
        ),
        store("P5"),
        store("P6", ("under_review", 14)),
    ]


def _figures(actor, **extra):
    return report(actor=actor, filters=Filters(start=D0, end=days(D0, 60), **extra))


def test_the_facts_of_each_project(history):
    p2 = ProjectFact.objects.get(project=history[1])
    assert (p2.submitted_on, p2.result_on, p2.opened_on) == (
        days(D0, 12),
        days(D0, 40),
        days(D0, 40),
    )
    assert (p2.needs_info_count, p2.rejected_count) == (1, 0)
    p3 = ProjectFact.objects.get(project=history[2])
    assert (p3.result_on, p3.opened_on, p3.rejected_count) == (days(D0, 20), None, 1)


def test_durations_rates_and_how_many_projects_they_rest_on(as_bob, history):
    total = _figures(as_bob)["total"]
    assert total["projects"] == 6
    assert {k: v for k, v in total["by_stage"].items() if v} == {
        "opened": 3,
        "rejected": 1,
        "preparing": 1,
        "under_review": 1,
    }
    # to submission: 8, 10, 12, 14, 20
    assert total["to_submission"] == {
        "n": 5,
        "enough": True,
        "median": 12,
        "p80": 15.2,
        "value": None,
    }
    # to a result: 20, 28, 12, 30 — four projects: said to be too few
    assert total["to_result"]["n"] == 4 and not total["to_result"]["enough"]
    assert total["to_result"]["median"] == 24
    assert total["to_opening"]["median"] == 40 and total["to_opening"]["n"] == 3
    # 2 of the 5 submitted went through 需补料, 1.5 times on average; 1 of 4 results rejected
    assert total["needs_info_share"]["value"] == 40.0
    assert total["needs_info_times"]["value"] == 1.5
    assert total["rejection_rate"] == {
        "n": 4,
        "enough": False,
        "median": None,
        "p80": None,
        "value": 25.0,
    }
    (platform,) = _figures(as_bob)["platforms"]
    assert platform["platform"] == "amazon" and platform["sites"][0]["site"] == "amazon-us"
    assert platform["sites"][0]["projects"] == 6


def test_the_period_and_the_filters(as_bob, history, other_manager, mini_template, entity):
    assert _figures(as_bob, site="amazon-de")["total"]["projects"] == 0
    later = report(actor=as_bob, filters=Filters(start=days(D0, 1), end=days(D0, 60)))
    assert later["total"]["projects"] == 0  # they all started on D0
    assert _figures(as_bob, manager=other_manager.user_id)["total"]["projects"] == 0
    series = _figures(as_bob)["opened_over_time"]
    # openings on D0+30, +40 and +50: 2 December, 12 December, 22 December
    assert [(m["month"], m["opened"], m["total"]) for m in series] == [
        ("2026-11", 0, 0),
        ("2026-12", 3, 3),
        ("2027-01", 0, 3),
    ]


def test_a_stage_change_through_the_service_refreshes_the_facts(as_bob, mini_project):
    pass_gates(mini_project)
    moment = dt.datetime.combine(days(D0, 9), dt.time(10), tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        change_stage(actor=as_bob, project=mini_project, stage="under_review")
    fact = ProjectFact.objects.get(project=mini_project)
    assert fact.stage == "under_review" and fact.submitted_on == days(D0, 9)
    assert fact.forecast_basis == "plan" and fact.forecast_p50 is not None


def test_the_report_page_and_its_workbook(bob, grace, history):
    page = client_for(bob).get(
        "/o/acme/reports/", {"start": D0.isoformat(), "end": days(D0, 60).isoformat()}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-group="amazon-us"' in html and "n=5" in html and "only 4" in html
    assert client_for(grace).get("/o/acme/reports/").status_code == 403
    book = client_for(bob).get(
        "/o/acme/reports/report.xlsx", {"start": D0.isoformat(), "end": days(D0, 60).isoformat()}
    )
    sheet = load_workbook(BytesIO(book.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("All", "All", 6)


def test_the_report_page_costs_the_same_queries_whatever_the_history(
    org, bob, as_bob, mini_template, entity, history, django_assert_max_num_queries
):
    browser = client_for(bob)
    url = f"/o/acme/reports/?start={D0.isoformat()}&end={days(D0, 60).isoformat()}"
    rebuild_organization(org)
    browser.get(url)
    with django_assert_max_num_queries(40) as small:
        browser.get(url)
    for i in range(12):
        project = build_project(
            manager=as_bob, template=mini_template, entity=entity, store_name=f"More {i}"
        )
        lived(project, ("under_review", days(D0, 5 + i)), ("opened", days(D0, 20 + 2 * i)))
    rebuild_organization(org)
    with django_assert_max_num_queries(len(small.captured_queries)):
        browser.get(url)


def test_the_catch_up_job_computes_the_facts_of_projects_changed_behind_the_services(
    org, mini_project
):
    ProjectFact.objects.all().delete()
    assert refresh_changed(org) == 1  # no facts yet
    assert refresh_changed(org) == 0  # nothing changed since
    with clock.travel(dt.timedelta(minutes=1)):
        StoreProject.objects.get(pk=mini_project.pk).save()  # an import writes the project
        assert refresh_changed(org) == 1
