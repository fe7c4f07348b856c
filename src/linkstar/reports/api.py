"""The report in the API: the same figures as the 报表 page, and its workbook."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from linkstar.accounts.web import actor_for
from linkstar.core import policy
from linkstar.core.api import ERRORS
from linkstar.core.clock import org_today
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.reports import exports, selectors
from linkstar.reports.schemas import ReportOut

router = Router(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    platform: str = ""
    site: str = ""
    manager: int | None = None
    entity: int | None = None
    template: int | None = None


def _filters(actor, query: ReportQuery) -> selectors.Filters:
    default_start, default_end = selectors.default_period(org_today(actor.organization))
    start, end = query.start or default_start, query.end or default_end
    if start > end:
        raise InvalidInput(
            FieldError("end", _("The end of the period cannot be before its start."))
        )
    return selectors.Filters(
        start=start,
        end=end,
        platform=query.platform,
        site=query.site,
        manager=query.manager,
        entity=query.entity,
        template=query.template,
    )


@router.get("/orgs/{org}/reports", response={200: ReportOut, **ERRORS})
def report(request, org: str, query: Query[ReportQuery]):
    """Per platform and site over a period (projects by their start date, default the last
    twelve months) and filters: projects by stage, days to submission, to a result and to
    opening, the share through 需补料, the rate of 未通过; the steps that overrun their plan most;
    approval lead time per level; the people's load. Every figure says how many cases it rests
    on. Anyone of the agency (over the projects they see), never a client (403)."""
    actor = actor_for(request, org)
    policy.require(actor, "report.view")
    return selectors.report(actor=actor, filters=_filters(actor, query))


@router.get(
    "/orgs/{org}/reports/report.xlsx",
    response={200: None, **ERRORS},
    url_name="report_xlsx_api",
    openapi_extra={
        "responses": {
            200: {
                "description": "The report as a workbook, one sheet per table.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_xlsx(request, org: str, query: Query[ReportQuery]):
    actor = actor_for(request, org)
    policy.require(actor, "report.view")
    return exports.report_response(
        actor, selectors.report(actor=actor, filters=_filters(actor, query))
    )
