"""The working-day rules (no database): weekends, holidays, make-up working days, counting."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.accounts.holidays import build_calendar, shipped_cn
from linkstar.accounts.workdays import CALENDAR_DAYS, WorkCalendar

D = dt.date
PLAIN = WorkCalendar.of()  # Monday to Friday, nothing else
CN = build_calendar()  # Monday to Friday with China's public holidays


def test_weekends_are_not_working_days_and_weekdays_are():
    assert PLAIN.is_working_day(D(2026, 12, 4))  # a Friday
    assert not PLAIN.is_working_day(D(2026, 12, 5))  # Saturday
    assert not PLAIN.is_working_day(D(2026, 12, 6))  # Sunday
    assert PLAIN.is_working_day(D(2026, 12, 7))  # Monday


def test_a_holiday_on_a_weekday_is_not_a_working_day():
    cal = WorkCalendar.of(holidays=[D(2026, 12, 8)])
    assert not cal.is_working_day(D(2026, 12, 8))
    assert cal.add_working_days(D(2026, 12, 7), 1) == D(2026, 12, 9)


def test_a_make_up_saturday_is_a_working_day():
    cal = WorkCalendar.of(workdays=[D(2026, 12, 5)])
    assert cal.is_working_day(D(2026, 12, 5))
    assert cal.add_working_days(D(2026, 12, 4), 1) == D(2026, 12, 5)
    assert cal.add_working_days(D(2026, 12, 4), 2) == D(2026, 12, 7)


def test_five_working_days_from_a_monday_is_the_next_monday():
    assert PLAIN.add_working_days(D(2026, 12, 7), 5) == D(2026, 12, 14)


def test_a_task_due_friday_moved_by_one_working_day_is_due_monday():
    assert PLAIN.add_working_days(D(2026, 12, 4), 1) == D(2026, 12, 7)


def test_zero_working_days_on_a_working_day_is_that_day():
    assert PLAIN.add_working_days(D(2026, 12, 7), 0) == D(2026, 12, 7)


def test_zero_working_days_on_a_weekend_or_holiday_rolls_to_the_next_working_day():
    assert PLAIN.add_working_days(D(2026, 12, 5), 0) == D(2026, 12, 7)
    assert CN.add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 8)


def test_counting_from_a_weekend_rolls_first_then_steps():
    # Saturday → Monday (rolled), + 1 → Tuesday: steps compose.
    assert PLAIN.add_working_days(D(2026, 12, 5), 1) == D(2026, 12, 8)


def test_negative_steps_count_backward():
    assert PLAIN.add_working_days(D(2026, 12, 7), -1) == D(2026, 12, 4)
    assert PLAIN.add_working_days(D(2026, 12, 6), -1) == D(2026, 12, 3)


def test_working_days_between_counts_the_half_open_interval():
    assert PLAIN.working_days_between(D(2026, 12, 4), D(2026, 12, 7)) == 1  # Fri → Mon
    assert PLAIN.working_days_between(D(2026, 12, 7), D(2026, 12, 14)) == 5
    assert PLAIN.working_days_between(D(2026, 12, 7), D(2026, 12, 7)) == 0
    assert PLAIN.working_days_between(D(2026, 12, 14), D(2026, 12, 7)) == -5


@pytest.mark.parametrize("n", range(0, 30))
def test_adding_the_working_days_between_two_working_days_gives_the_later(n):
    start = D(2026, 2, 10)
    end = CN.add_working_days(start, n)
    assert CN.working_days_between(start, end) == n


def test_a_five_working_day_step_starting_before_spring_festival_2026_ends_after_it():
    # Thursday 12 Feb; Friday 13 (1), Saturday 14 is a make-up working day (2), 15–23 Feb is
    # the Spring Festival holiday, then Tuesday 24 (3), Wednesday 25 (4), Thursday 26 (5).
    assert CN.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert CN.working_days_between(D(2026, 2, 12), D(2026, 2, 26)) == 5


def test_every_day_works_in_the_calendar_days_calendar():
    assert CALENDAR_DAYS.add_working_days(D(2026, 12, 5), 3) == D(2026, 12, 8)
    assert CALENDAR_DAYS.working_days_between(D(2026, 12, 5), D(2026, 12, 8)) == 3


def test_a_calendar_without_any_working_weekday_is_refused():
    with pytest.raises(ValueError):
        WorkCalendar.of(weekdays=[])


def test_task_dates_are_offset_then_duration_in_working_days():
    # Monday 7 Dec: offset 0 lasting 2 → Mon..Wed; offset 3 lasting 5 → Thu 10 .. Thu 17.
    assert PLAIN.task_dates(D(2026, 12, 7), [(0, 2), (3, 5)]) == [
        (D(2026, 12, 7), D(2026, 12, 9)),
        (D(2026, 12, 10), D(2026, 12, 17)),
    ]
    assert PLAIN.finish(D(2026, 12, 7), [(0, 2), (3, 5)]) == D(2026, 12, 17)


def test_own_days_win_over_the_shipped_list():
    cal = build_calendar(
        exceptions=[
            {"date": "2026-02-16", "kind": "workday", "name": "值班"},
            {"date": "2026-12-07", "kind": "holiday", "name": "团建"},
        ]
    )
    assert cal.is_working_day(D(2026, 2, 16))
    assert not cal.is_working_day(D(2026, 12, 7))
    assert not build_calendar(use_cn_holidays=False).is_working_day(D(2026, 2, 14))


# --- the shipped list, checked against the notices' own words ----------------------------------


def test_the_shipped_make_up_working_days_are_all_weekend_days():
    days = [d for d in shipped_cn().days if d.kind == "workday"]
    assert len(days) == 11
    assert all(d.date.weekday() >= 5 for d in days)


def test_the_shipped_years_are_2025_and_2026_with_their_sources():
    shipped = shipped_cn()
    assert shipped.years == [2025, 2026]
    assert all(s["url"].startswith("https://www.gov.cn/") for s in shipped.sources)
    assert "国办发明电〔2024〕12号" in shipped.sources[0]["title"]


@pytest.mark.parametrize(
    ("year", "holiday_days"),
    [(2025, 1 + 8 + 3 + 5 + 3 + 8), (2026, 3 + 9 + 3 + 5 + 3 + 3 + 7)],
)
def test_the_shipped_holidays_add_up_to_the_notices_totals(year, holiday_days):
    days = [d for d in shipped_cn().days if d.kind == "holiday" and d.date.year == year]
    assert len(days) == holiday_days


def test_spring_festival_2026_is_15_to_23_february_with_two_make_up_saturdays():
    off = {
        d.date
        for d in shipped_cn().days
        if d.name == "春节" and d.kind == "holiday" and d.date.year == 2026
    }
    assert min(off) == D(2026, 2, 15) and max(off) == D(2026, 2, 23) and len(off) == 9
    assert not CN.is_working_day(D(2026, 2, 23))  # a Monday
    assert CN.is_working_day(D(2026, 2, 14)) and CN.is_working_day(D(2026, 2, 28))
