"""The arithmetic of reports and forecasts: quantiles, figures that say how many projects they
rest on, and the forecast of a project's opening. Pure: no database, no clock.

Quantiles interpolate linearly between the two nearest values of the sorted sample (the method
spreadsheets call PERCENTILE.INC): the median of 2, 4, 10, 11 is 7; its 80th percentile is 10.4.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_SAMPLE = 5  # a figure resting on fewer projects says so instead of pretending
PLAN_SPREAD = 0.25  # with no history, the 80 % date is the plan plus a quarter of its length


def quantile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) of ``values``, interpolated; None for no value."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def counted_quantile(counts: Mapping[float, int], q: float) -> float | None:
    """The same quantile from ``{value: how many times}`` (a histogram kept by the aggregates),
    without expanding it."""
    total = sum(n for n in counts.values() if n > 0)
    if total == 0:
        return None
    position = (total - 1) * q
    low_index = math.floor(position)
    high_index = min(low_index + 1, total - 1)
    low = high = None
    seen = 0
    for value in sorted(counts):
        n = counts[value]
        if n <= 0:
            continue
        if low is None and low_index < seen + n:
            low = value
        if high_index < seen + n:
            high = value
            break
        seen += n
    return low + (high - low) * (position - low_index)


@dataclass(frozen=True)
class Figure:
    """A statistic and how many cases it rests on; ``enough`` is False below ``MIN_SAMPLE``."""

    n: int
    median: float | None = None
    p80: float | None = None
    value: float | None = None  # a rate or a mean, where that is the figure

    @property
    def enough(self) -> bool:
        return self.n >= MIN_SAMPLE

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "enough": self.enough,
            "median": _round(self.median),
            "p80": _round(self.p80),
            "value": _round(self.value),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def spread(values: list[float]) -> Figure:
    return Figure(n=len(values), median=quantile(values, 0.5), p80=quantile(values, 0.8))


def counted_spread(counts: Mapping[float, int]) -> Figure:
    return Figure(
        n=sum(counts.values()),
        median=counted_quantile(counts, 0.5),
        p80=counted_quantile(counts, 0.8),
    )


def rate(hits: int, total: int) -> Figure:
    return Figure(n=total, value=(100.0 * hits / total) if total else None)


# --- forecasts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A similar project seen from the point the forecast stands at (this project's age on the
    segment ahead): the days it then still took to open (``opened``), or, still open today, the
    days it has been open since that point (censored: it will take at least that)."""

    days: int
    opened: bool


@dataclass(frozen=True)
class Forecast:
    p50: dt.date
    p80: dt.date
    basis: str  # "site", "platform" or "plan"
    history: int  # how many similar projects it rests on (0 for the plan)
    slipping: bool


def survival_quantile(cases: list[Case], q: float) -> float | None:
    """The time by which a share ``q`` of the cases will have opened, by the Kaplan–Meier
    estimate: projects still open count for as long as they have been open, so the slow ones
    that have not opened yet are not forgotten. None when the cases never get that far."""
    at_risk = len(cases)
    still_open = 1.0
    by_day: dict[int, list[int]] = {}
    for case in cases:
        counts = by_day.setdefault(case.days, [0, 0])
        counts[0 if case.opened else 1] += 1
    for day in sorted(by_day):
        opened, censored = by_day[day]
        if opened:
            still_open *= 1 - opened / at_risk
            if 1 - still_open >= q - 1e-9:
                return day
        at_risk -= opened + censored
    return None


def forecast(
    *,
    today: dt.date,
    histories: list[tuple[str, list[Case]]],
    planned_finish: dt.date | None,
    planned_days: int,
) -> Forecast:
    """When a project still open will open. ``histories`` hold the similar projects at this
    project's point (see ``reports/facts.py``), most similar first: ``[("site", cases),
    ("platform", cases)]``. The first with at least ``MIN_SAMPLE`` openings gives, by
    :func:`survival_quantile`, the days by which half and 80 % of them opened (or, where the
    estimate does not reach that far, the longest time seen), added to today. Without one, the
    plan: the planned finish (never before tomorrow) for 50 %, plus a quarter of the planned
    length for 80 %. Slipping: from history, the 80 % date is after the planned finish; from the
    plan, the planned finish has passed."""
    for basis, cases in histories:
        if sum(1 for c in cases if c.opened) >= MIN_SAMPLE:
            longest = max(c.days for c in cases)
            q50 = survival_quantile(cases, 0.5)
            q80 = survival_quantile(cases, 0.8)
            p50 = today + dt.timedelta(days=max(1, longest if q50 is None else q50))
            p80 = today + dt.timedelta(days=max(1, longest if q80 is None else q80))
            return Forecast(p50, max(p50, p80), basis, len(cases), _slipping(p80, planned_finish))
    tomorrow = today + dt.timedelta(days=1)
    p50 = max(planned_finish or tomorrow, tomorrow)
    p80 = p50 + dt.timedelta(days=max(1, math.ceil(PLAN_SPREAD * max(planned_days, 0))))
    # the plan's own range always ends after the plan: it slips once the plan cannot hold
    return Forecast(p50, p80, "plan", 0, planned_finish is not None and p50 > planned_finish)


def _slipping(p80: dt.date, planned_finish: dt.date | None) -> bool:
    return planned_finish is not None and p80 > planned_finish
