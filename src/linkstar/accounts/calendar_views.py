"""The settings page of the organization's working-day calendar (工作日历): every member sees
it; administrators change the working weekdays, turn China's public holidays on or off, and add
or remove the organization's own holidays and make-up working days."""

from __future__ import annotations

from django.contrib import messages as flash
from django.shortcuts import redirect
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _

from linkstar.accounts import workcalendar
from linkstar.accounts.holidays import shipped_cn
from linkstar.accounts.models import CalendarDayKind
from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, InvalidInput
from linkstar.core.web import render_in_org_time

WEEKDAY_NAMES = [
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
]


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _save(request, actor) -> None:
    """The posted form's change, through the service (which checks the role)."""
    action = request.POST.get("action")
    version = _version(request)
    if action == "add":
        workcalendar.add_calendar_day(
            actor=actor,
            date=request.POST.get("date", "").strip(),
            kind=request.POST.get("kind", ""),
            name=request.POST.get("name", ""),
            version=version,
        )
        flash.success(request, _("The day is added to the calendar."))
    elif action == "remove":
        workcalendar.remove_calendar_day(
            actor=actor, date=request.POST.get("date", ""), version=version
        )
        flash.success(request, _("The day is removed from the calendar."))
    else:
        weekdays = []
        for value in request.POST.getlist("weekdays"):
            try:
                weekdays.append(int(value))
            except ValueError:
                weekdays.append(-1)  # refused by the service, naming the field
        workcalendar.update_work_calendar(
            actor=actor,
            weekdays=weekdays,
            use_cn_holidays=request.POST.get("use_cn_holidays") in {"1", "on", "true"},
            version=version,
        )
        flash.success(request, _("The working-day calendar is saved."))


def work_calendar_page(request, org: str):
    actor = web_actor(request, org)
    can_edit = policy.can(actor, "calendar.edit")
    errors: list[str] = []
    if request.method == "POST":
        policy.require(actor, "calendar.edit")
        try:
            _save(request, actor)
        except InvalidInput as exc:
            errors = [e.message for e in exc.errors] or [exc.detail]
        except Conflict as exc:
            errors = [exc.detail]
        else:
            return redirect("work_calendar", org)
    row = workcalendar.calendar_settings(actor.organization)
    shipped = shipped_cn()
    kinds = dict(CalendarDayKind.choices)
    english = (get_language() or "").startswith("en")
    return render_in_org_time(
        request,
        actor,
        "accounts/work_calendar.html",
        {
            "tab": "workdays",
            "row": row,
            "can_edit": can_edit,
            "errors": errors,
            "posted": request.POST if errors else None,
            "weekdays": [(i, name, i in row.weekdays) for i, name in enumerate(WEEKDAY_NAMES)],
            "own_days": [
                {**e, "kind_label": kinds.get(e["kind"], e["kind"])} for e in row.exceptions
            ],
            "kinds": CalendarDayKind.choices,
            "shipped": shipped,
            "shipped_days": [
                (d, d.name_en if english else d.name, kinds[d.kind]) for d in shipped.days
            ],
        },
        status=422 if errors else 200,
    )
