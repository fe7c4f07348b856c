"""The forecast of a project's opening, from a made-up history with a known answer, where people
see it: the API, the project page, the list (sortable) and the kanban."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.core import clock
from linkstar.projects.services import change_stage
from linkstar.reports.facts import refresh_projects
from linkstar.reports.models import ProjectFact
from tests.support.clients import ApiClient, client_for
from tests.support.gates import pass_gates
from tests.support.reports import days, lived
from tests.support.seed import PROJECT_START, build_project

D0 = PROJECT_START
TODAY = days(D0, 10)


@pytest.fixture
def at_day_ten():
    moment = dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.frozen_at(moment):
        yield


@pytest.fixture
def preparing(as_bob, mini_template, entity, at_day_ten):
    """Six earlier amazon-us stores, submitted 15 days after their start, opened 20, 30 … 70 days
    after it; one started on D0 still prepares on day 10. The six were still preparing at that
    age, and 10, 20 … 60 days were then left to them: half had opened after 30 more days, 80 %
    after 50."""
    for i, took in enumerate([20, 30, 40, 50, 60, 70]):
        project = build_project(
            manager=as_bob,
            template=mini_template,
            entity=entity,
            store_name=f"Earlier {i}",
            start_date=days(D0, -100),
        )
        lived(project, ("under_review", days(D0, -100 + 15)), ("opened", days(D0, -100 + took)))
    project = build_project(manager=as_bob, template=mini_template, entity=entity, store_name="Now")
    refresh_projects([project.pk])
    return project


def test_the_forecast_from_the_sites_history(preparing):
    fact = ProjectFact.objects.get(project=preparing)
    assert (fact.forecast_basis, fact.forecast_history) == ("site", 6)
    assert fact.forecast_p50 == days(TODAY, 30)
    assert fact.forecast_p80 == days(TODAY, 50)
    assert fact.slipping == (fact.forecast_p80 > preparing.planned_finish)


def test_the_forecast_in_the_api_and_on_the_pages(bob, preparing):
    answer = ApiClient(bob).get(f"/orgs/acme/projects/{preparing.pk}").json()
    assert answer["forecast"] == {
        "p50": days(TODAY, 30).isoformat(),
        "p80": days(TODAY, 50).isoformat(),
        "basis": "site",
        "history": 6,
        "slipping": True,
    }
    listed = ApiClient(bob).get("/orgs/acme/projects").json()["items"]
    assert {p["store_name"]: p["forecast"] is None for p in listed}["Earlier 0"]  # opened
    browser = client_for(bob)
    page = browser.get(f"/o/acme/projects/{preparing.pk}/").content.decode()
    assert f'data-p50="{days(TODAY, 30).isoformat()}"' in page and "ls-slipping" in page
    assert 'data-p80="' in browser.get("/o/acme/kanban/").content.decode()
    ordered = browser.get("/o/acme/projects/?order=forecast").content.decode()
    # the one with a forecast first; the opened ones (no forecast) after it
    assert ordered.index("<td>Now") < ordered.index("<td>Earlier 0")
    oldest = browser.get("/o/acme/projects/?order=created_at").content.decode()
    assert oldest.index("<td>Earlier 0") < oldest.index("<td>Now")
    latest = browser.get("/o/acme/projects/?order=-forecast").content.decode()
    assert latest.index("<td>Now") < latest.index("<td>Earlier 0")  # empty ones last either way


def test_a_stage_move_recomputes_it(as_bob, preparing, at_day_ten):
    pass_gates(preparing)
    change_stage(actor=as_bob, project=preparing, stage="under_review")
    fact = ProjectFact.objects.get(project=preparing)
    # under review: submission → opening of the six took 5, 15 … 55 days; half had opened after
    # 25, 80 % after 45
    assert fact.submitted_on == TODAY
    assert (fact.forecast_p50, fact.forecast_p80) == (days(TODAY, 25), days(TODAY, 45))
