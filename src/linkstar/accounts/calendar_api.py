"""``/orgs/{org}/calendar``: the organization's working-day calendar (read by every member,
changed by administrators)."""

from __future__ import annotations

from ninja import Router

from linkstar.accounts import workcalendar
from linkstar.accounts.holidays import shipped_cn
from linkstar.accounts.models import WorkCalendarSettings
from linkstar.accounts.schemas import WorkCalendarIn, WorkCalendarOut
from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS

router = Router(tags=["auth and organizations"])


def calendar_out(row: WorkCalendarSettings) -> dict:
    shipped = shipped_cn()
    return {
        "weekdays": list(row.weekdays),
        "use_cn_holidays": row.use_cn_holidays,
        "exceptions": list(row.exceptions),
        "version": row.version,
        "shipped": {
            "name": "CN",
            "years": shipped.years,
            "sources": [
                {k: s[k] for k in ("year", "title", "published", "url")} for s in shipped.sources
            ],
        },
    }


@router.get("/orgs/{org}/calendar", response={200: WorkCalendarOut, **ERRORS})
def get_calendar(request, org: str):
    """The working-day calendar task dates are computed with (every member)."""
    actor = actor_for(request, org)
    return calendar_out(workcalendar.calendar_settings(actor.organization))


@router.put("/orgs/{org}/calendar", response={200: WorkCalendarOut, **ERRORS})
def put_calendar(request, org: str, payload: WorkCalendarIn):
    """Change the working-day calendar; fields left out keep their value (admin; audited)."""
    actor = actor_for(request, org)
    data = payload.model_dump()
    row = workcalendar.update_work_calendar(actor=actor, **data)
    return calendar_out(row)
