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


def _opened(*days):
    return [rules.Case(d, True) for d in days]


def test_the_survival_quantile_counts_projects_not_yet_opened():
    # all opened: the day by which half, then 80 %, had opened
    assert rules.survival_quantile(_opened(10, 20, 30, 40, 50, 60), 0.5) == 30
    assert rules.survival_quantile(_opened(10, 20, 30, 40, 50, 60), 0.8) == 50
    # 4 opened after 10, 20, 30, 40 days; 2 still open after 25 days. Kaplan–Meier: 5/6 left
    # after day 10, 4/6 after 20; at 25 two leave unopened; 1/2 of the remaining 2 open at 30
    # (still open 4/6 × 1/2 = 1/3: two thirds opened ≥ 50 %), all by 40
    cases = [*_opened(10, 20, 30, 40), rules.Case(25, False), rules.Case(25, False)]
    assert rules.survival_quantile(cases, 0.5) == 30
    assert rules.survival_quantile(cases, 0.8) == 40
    # ignoring the two still open would have said 20 for the median
    assert rules.quantile([10, 20, 30, 40], 0.5) == 25
    # most still open: the estimate never reaches 80 %
    assert rules.survival_quantile(_opened(5) + [rules.Case(9, False)] * 4, 0.8) is None


def test_the_forecast_from_the_first_history_with_enough_openings():
    history = _opened(10, 20, 30, 40, 50, 60)
    f = rules.forecast(
        today=TODAY,
        histories=[("site", _opened(5, 6)), ("platform", history)],
        planned_finish=TODAY + dt.timedelta(days=20),
        planned_days=45,
    )
    assert (f.basis, f.history) == ("platform", 6)
    assert (f.p50, f.p80) == (TODAY + dt.timedelta(days=30), TODAY + dt.timedelta(days=50))
    assert f.slipping  # the 80 % date is after the planned finish
    # beyond what the estimate reaches: the longest time seen
    few_opened = _opened(3, 4, 5, 6, 7) + [rules.Case(90, False)] * 5
    g = rules.forecast(
        today=TODAY, histories=[("site", few_opened)], planned_finish=None, planned_days=0
    )
    assert g.p80 == TODAY + dt.timedelta(days=90) and not g.slipping


def test_with_too_little_history_the_plan():
    plan = rules.forecast(
        today=TODAY,
        histories=[("site", _opened(30, 40, 50)), ("platform", [])],
        planned_finish=TODAY + dt.timedelta(days=30),
        planned_days=40,
    )
    assert (plan.basis, plan.history) == ("plan", 0)
    assert plan.p50 == TODAY + dt.timedelta(days=30)
    assert plan.p80 == TODAY + dt.timedelta(days=40)  # + a quarter of 40 days
    assert not plan.slipping
    late = rules.forecast(
        today=TODAY, histories=[], planned_finish=TODAY - dt.timedelta(days=5), planned_days=40
    )
    assert late.p50 == TODAY + dt.timedelta(days=1) and late.slipping
