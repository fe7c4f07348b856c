"""An organization's working-day calendar: reading it (what dates are computed with) and
changing it (administrators, audited). Its own module, next to ``services.py``, which is near the
size where a module is split: the rules are in ``workdays.py``, the shipped list in
``holidays.py``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.accounts.holidays import build_calendar
from linkstar.accounts.models import CalendarDayKind, WorkCalendarSettings
from linkstar.accounts.workdays import WorkCalendar
from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, check_version

MAX_EXCEPTIONS = 500
MAX_NAME = 100


def calendar_settings(organization) -> WorkCalendarSettings:
    """The organization's calendar settings; an unsaved default row when it has none."""
    row = WorkCalendarSettings.objects.filter(organization_id=organization.pk).first()
    if row is None:
        row = WorkCalendarSettings(organization_id=organization.pk, version=0)
    return row


def calendar_of(row: WorkCalendarSettings) -> WorkCalendar:
    return build_calendar(
        weekdays=row.weekdays, use_cn_holidays=row.use_cn_holidays, exceptions=row.exceptions
    )


def work_calendar(organization_id: int) -> WorkCalendar:
    """What computed dates of the organization count with (one query)."""
    row = WorkCalendarSettings.objects.filter(organization_id=organization_id).first()
    return calendar_of(row or WorkCalendarSettings())


def _as_dict(row: WorkCalendarSettings) -> dict:
    return {
        "weekdays": list(row.weekdays),
        "use_cn_holidays": row.use_cn_holidays,
        "exceptions": list(row.exceptions),
    }


def _clean_weekdays(weekdays) -> tuple[list[int] | None, list[FieldError]]:
    if not isinstance(weekdays, list | tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in weekdays
    ):
        return None, [FieldError("weekdays", _("A list of weekdays, 0 (Monday) to 6 (Sunday)."))]
    if any(d < 0 or d > 6 for d in weekdays):
        return None, [FieldError("weekdays", _("Each weekday is 0 (Monday) to 6 (Sunday)."))]
    if not weekdays:
        return None, [FieldError("weekdays", _("Choose at least one working weekday."))]
    return sorted(set(weekdays)), []


def _clean_exceptions(exceptions) -> tuple[list[dict] | None, list[FieldError]]:
    if not isinstance(exceptions, list | tuple):
        return None, [FieldError("exceptions", _("A list of dated days."))]
    if len(exceptions) > MAX_EXCEPTIONS:
        return None, [
            FieldError("exceptions", _("At most %(n)d dated days.") % {"n": MAX_EXCEPTIONS})
        ]
    cleaned: dict[str, dict] = {}
    errors = []
    for i, entry in enumerate(exceptions):
        where = f"exceptions[{i}]"
        if not isinstance(entry, dict):
            errors.append(FieldError(where, _("A day is {date, kind, name}.")))
            continue
        raw_date = entry.get("date")
        try:
            day = raw_date if isinstance(raw_date, dt.date) else dt.date.fromisoformat(raw_date)
        except (TypeError, ValueError):
            errors.append(FieldError(f"{where}.date", _("A date is written YYYY-MM-DD.")))
            continue
        kind = entry.get("kind")
        if kind not in CalendarDayKind.values:
            errors.append(
                FieldError(
                    f"{where}.kind",
                    _("The kind is “holiday” (not worked) or “workday” (make-up working day)."),
                )
            )
            continue
        name = entry.get("name") or ""
        if not isinstance(name, str) or len(name.strip()) > MAX_NAME:
            errors.append(
                FieldError(
                    f"{where}.name", _("A name has at most %(n)d characters.") % {"n": MAX_NAME}
                )
            )
            continue
        if day.isoformat() in cleaned:
            errors.append(
                FieldError(
                    f"{where}.date",
                    _("%(day)s is listed twice.") % {"day": day.isoformat()},
                )
            )
            continue
        cleaned[day.isoformat()] = {"date": day.isoformat(), "kind": kind, "name": name.strip()}
    if errors:
        return None, errors
    return [cleaned[k] for k in sorted(cleaned)], []


@transaction.atomic
def update_work_calendar(
    *,
    actor: Actor,
    weekdays: list[int] | None = None,
    use_cn_holidays: bool | None = None,
    exceptions: list[dict] | None = None,
    version: int | None = None,
) -> WorkCalendarSettings:
    """An administrator sets the organization's working-day calendar: its working weekdays (at
    least one), whether China's public holidays (the shipped list) count, and its own dated
    holidays and make-up working days (one per date; they win over the shipped list). Fields
    left out keep their value. Dates computed from now on use it; dates already planned stay.
    Bad input changes nothing; the change is audited (``calendar.changed``)."""
    policy.require(actor, "calendar.edit")
    row = (
        WorkCalendarSettings.objects.select_for_update()
        .filter(organization=actor.organization)
        .first()
    )
    if row is None:
        row = WorkCalendarSettings(organization=actor.organization, version=0)
    check_version(row, version)
    errors: list[FieldError] = []
    new_weekdays = list(row.weekdays)
    if weekdays is not None:
        cleaned, problems = _clean_weekdays(weekdays)
        errors += problems
        new_weekdays = cleaned if cleaned is not None else new_weekdays
    if use_cn_holidays is not None and not isinstance(use_cn_holidays, bool):
        errors.append(FieldError("use_cn_holidays", _("true or false.")))
    new_exceptions = list(row.exceptions)
    if exceptions is not None:
        cleaned_days, problems = _clean_exceptions(exceptions)
        errors += problems
        new_exceptions = cleaned_days if cleaned_days is not None else new_exceptions
    if errors:
        raise InvalidInput(errors)
    before = _as_dict(row) if row.pk else {k: None for k in _as_dict(row)}
    row.weekdays = new_weekdays
    if use_cn_holidays is not None:
        row.use_cn_holidays = use_cn_holidays
    row.exceptions = new_exceptions
    row.version += 1
    row.updated_at = clock.now()
    row.save()
    after = _as_dict(row)
    changes = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    record(
        actor=actor,
        action="calendar.changed",
        obj=row,
        changes=changes or {"saved": {"before": None, "after": True}},
    )
    return row


def _locked_exceptions(actor: Actor) -> list[dict]:
    row = (
        WorkCalendarSettings.objects.select_for_update()
        .filter(organization=actor.organization)
        .first()
    )
    return list(row.exceptions) if row is not None else []


@transaction.atomic
def add_calendar_day(
    *, actor: Actor, date, kind: str, name: str = "", version: int | None = None
) -> WorkCalendarSettings:
    """Add (or replace) one of the organization's own dated days: see
    :func:`update_work_calendar`."""
    policy.require(actor, "calendar.edit")
    day = date.isoformat() if isinstance(date, dt.date) else date
    others = [e for e in _locked_exceptions(actor) if e["date"] != day]
    return update_work_calendar(
        actor=actor,
        exceptions=[*others, {"date": date, "kind": kind, "name": name}],
        version=version,
    )


@transaction.atomic
def remove_calendar_day(
    *, actor: Actor, date: str, version: int | None = None
) -> WorkCalendarSettings:
    """Remove one of the organization's own dated days (a day it does not have: nothing)."""
    policy.require(actor, "calendar.edit")
    return update_work_calendar(
        actor=actor,
        exceptions=[e for e in _locked_exceptions(actor) if e["date"] != date],
        version=version,
    )
