"""The arithmetic of reports and forecasts, on numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.reports import rules

TODAY = dt.date(2026, 6, 1)


def test_quantiles_interpolate_between_the_nearest_values():
    assert rules.quantile([2, 4, 10, 11], 0.5) == 7
    assert rules.quantile([2, 4, 10, 11], 0.8) == pytest.approx(10.4)
    assert rules.quantile([5], 0.8) == 5
    assert rules.quantile([], 0.5) is None


def test_a_histogram_gives_the_same_quantiles_as_its_values():
    values = [3, 3, 3, 7, 7, 12, -2, 0, 0, 30]
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    for q in (0, 0.2, 0.5, 0.8, 1):
        assert rules.counted_quantile(counts, q) == pytest.approx(rules.quantile(values, q))
    assert rules.counted_quantile({}, 0.5) is None


def test_a_figure_says_when_it_rests_on_too_few():
    assert rules.spread([1, 2, 3, 4]).as_dict() == {
        "n": 4,
        "enough": False,
        "median": 2.5,
        "p80": 3.4,
        "value": None,
    }
    assert rules.spread([1, 2, 3, 4, 5]).enough
    assert rules.rate(1, 4).as_dict()["value"] == 25.0


def test_the_forecast_learns_from_the_projects_still_open_at_this_age():
    # six earlier openings took 20, 30, 40, 50, 60 and 90 days; this one is 25 days old:
    # five of them were still open at 25 days, with 5, 15, 25, 35 and 65 days left
    history = [20, 30, 40, 50, 60, 90]
    f = rules.forecast(
        today=TODAY,
        elapsed=25,
        histories=[("site", history), ("platform", history * 2)],
        planned_finish=TODAY + dt.timedelta(days=20),
        planned_days=45,
    )
    assert (f.basis, f.history) == ("site", 5)
    assert f.p50 == TODAY + dt.timedelta(days=25)
    assert f.p80 == TODAY + dt.timedelta(days=41)  # 35 + 0.2 × 30 = 41
    assert f.slipping  # the 80 % date is after the planned finish


def test_with_too_little_site_history_the_platform_then_the_plan():
    few = [30, 40, 50]
    platform = [10, 12, 14, 16, 18, 20]
    f = rules.forecast(
        today=TODAY,
        elapsed=9,
        histories=[("site", few), ("platform", platform)],
        planned_finish=TODAY + dt.timedelta(days=30),
        planned_days=40,
    )
    assert (f.basis, f.history) == ("platform", 6)
    assert f.p50 == TODAY + dt.timedelta(days=6)  # 1,3,5,7,9,11 → 6
    assert not f.slipping
    plan = rules.forecast(
        today=TODAY,
        elapsed=9,
        histories=[("site", few), ("platform", [])],
        planned_finish=TODAY + dt.timedelta(days=30),
        planned_days=40,
    )
    assert (plan.basis, plan.history) == ("plan", 0)
    assert plan.p50 == TODAY + dt.timedelta(days=30)
    assert plan.p80 == TODAY + dt.timedelta(days=40)  # + a quarter of 40 days
    assert not plan.slipping
    late = rules.forecast(
        today=TODAY,
        elapsed=60,
        histories=[],
        planned_finish=TODAY - dt.timedelta(days=5),
        planned_days=40,
    )
    assert late.p50 == TODAY + dt.timedelta(days=1) and late.slipping
