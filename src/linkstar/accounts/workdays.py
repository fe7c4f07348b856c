"""Working days: the rules of an organization's working-day calendar, without the database.

A :class:`WorkCalendar` is a value: the weekdays that are working days (Monday = 0), the dated
holidays (non-working although on a working weekday) and the make-up working days (调休上班: a
weekend day that is a working day). A date is a working day when it is not a holiday and it is
either a make-up working day or on a working weekday.

Counting, the one rule everything follows (creation, template upgrade, the reschedule cascade):

- ``add_working_days(day, n)`` first *rolls* ``day`` onto a working day (forward for ``n >= 0``,
  backward for ``n < 0``), then steps ``|n|`` working days. So ``n = 0`` on a Saturday or a
  holiday gives the next working day (a task never starts on a day nobody works), ``n = 0`` on a
  working day gives the day itself, and steps compose: ``add(add(d, a), b) == add(d, a + b)``
  for ``a, b >= 0``.
- ``working_days_between(a, b)`` is the number of working days in ``(a, b]`` (negative, the
  number in ``(b, a]``, when ``b < a``): for working days ``a`` and ``b``,
  ``add_working_days(a, working_days_between(a, b)) == b``.

A task that starts on ``add_working_days(project_start, offset)`` and lasts ``duration`` working
days is due on ``add_working_days(start, duration)``: a 5-day step starting on a Monday of an
ordinary week is due the next Monday, as ``start + 5`` calendar days was due the Saturday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

DAY = dt.timedelta(days=1)
MONDAY_TO_FRIDAY = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


@dataclass(frozen=True)
class WorkCalendar:
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # make-up working days (调休上班)
    _memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.weekdays or not set(self.weekdays) <= EVERY_DAY:
            # With no working weekday, counting forward would never end.
            raise ValueError("a calendar has at least one working weekday, each 0 (Mon) to 6")

    @classmethod
    def of(
        cls,
        weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
    ) -> WorkCalendar:
        return cls(frozenset(weekdays), frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() in self.weekdays

    def roll(self, day: dt.date, *, backward: bool = False) -> dt.date:
        """``day`` if it is a working day, else the next (or previous) one."""
        step = -DAY if backward else DAY
        while not self.is_working_day(day):
            day += step
        return day

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """Roll ``start`` onto a working day, then step ``n`` working days (see the module)."""
        day = self.roll(start, backward=n < 0)
        step = DAY if n >= 0 else -DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]``; minus those in ``(b, a]`` when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += DAY
            count += self.is_working_day(day)
        return count

    def task_dates(
        self, start: dt.date, spans: Iterable[tuple[int, int]]
    ) -> list[tuple[dt.date, dt.date]]:
        """Each ``(offset, duration)`` in working days from ``start`` → ``(start, due)`` dates:
        the task starts ``offset`` working days after the (rolled) start and is due
        ``duration`` working days after it starts. One walk of the calendar per start date,
        remembered, so that a batch of projects starting on the same day costs one walk."""
        # Templates refuse negative offsets and durations; a stray one counts as 0.
        spans = [(max(o, 0), max(d, 0)) for o, d in spans]
        reach = max((o + d for o, d in spans), default=0)
        days = self._memo.get(start)
        if days is None or len(days) <= reach:
            days = [self.roll(start)]
            while len(days) <= reach:
                days.append(self.add_working_days(days[-1], 1))
            self._memo[start] = days
        return [(days[o], days[o + d]) for o, d in spans]

    def finish(self, start: dt.date, spans: Iterable[tuple[int, int]]) -> dt.date:
        """The last due date of a plan of ``(offset, duration)`` steps from ``start``."""
        reach = max((o + d for o, d in spans), default=0)
        return self.task_dates(start, [(reach, 0)])[0][0]


# Plain calendar-day arithmetic: every day works. What a plan means without a calendar.
CALENDAR_DAYS = WorkCalendar(EVERY_DAY)
