"""The shipped list of China's public holidays and make-up working days (``data/
holidays_cn.json``, copied from the State Council's yearly notices), and an organization's
:class:`~linkstar.accounts.workdays.WorkCalendar` built from it and the organization's own
settings."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from linkstar.accounts.workdays import WorkCalendar

HOLIDAYS_CN_FILE = Path(__file__).parent / "data" / "holidays_cn.json"
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class ShippedDay:
    date: dt.date
    kind: str  # "holiday" | "workday"
    name: str
    name_en: str


@dataclass(frozen=True)
class ShippedHolidays:
    days: tuple[ShippedDay, ...]
    sources: tuple[dict, ...]  # per year: {"year", "title", "published", "url", "reprint"}

    @property
    def years(self) -> list[int]:
        return [s["year"] for s in self.sources]

    def dates(self, kind: str) -> frozenset[dt.date]:
        return frozenset(d.date for d in self.days if d.kind == kind)


@functools.cache
def shipped_cn() -> ShippedHolidays:
    data = json.loads(HOLIDAYS_CN_FILE.read_text(encoding="utf-8"))
    days, sources = [], []
    for year, plan in sorted(data["years"].items()):
        sources.append({"year": int(year), **plan["source"]})
        for holiday in plan["holidays"]:
            day = dt.date.fromisoformat(holiday["start"])
            end = dt.date.fromisoformat(holiday["end"])
            while day <= end:
                days.append(ShippedDay(day, "holiday", holiday["name"], holiday["name_en"]))
                day += dt.timedelta(days=1)
        for workday in plan["workdays"]:
            days.append(
                ShippedDay(
                    dt.date.fromisoformat(workday["date"]),
                    "workday",
                    workday["name"],
                    workday["name_en"],
                )
            )
    return ShippedHolidays(tuple(sorted(days, key=lambda d: d.date)), tuple(sources))


def build_calendar(
    *, weekdays=DEFAULT_WEEKDAYS, use_cn_holidays: bool = True, exceptions=()
) -> WorkCalendar:
    """The calendar of these settings: the shipped list (if used), the organization's own
    exceptions over it (an own make-up working day wins over a shipped holiday, and the
    reverse)."""
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    if use_cn_holidays:
        shipped = shipped_cn()
        holidays |= shipped.dates("holiday")
        workdays |= shipped.dates("workday")
    for entry in exceptions:
        day = dt.date.fromisoformat(entry["date"])
        if entry["kind"] == "holiday":
            holidays.add(day)
            workdays.discard(day)
        else:
            workdays.add(day)
            holidays.discard(day)
    return WorkCalendar.of(weekdays, holidays, workdays)
