"""The report page (报表): the filters, the figures per platform and site with their charts, the
steps that overrun their plan, approval lead times and the people's load; and its .xlsx."""

from __future__ import annotations

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.clock import org_today
from linkstar.core.web import render_in_org_time
from linkstar.projects.models import Stage
from linkstar.projects.views.lists import filter_choices
from linkstar.reports import exports, selectors
from linkstar.reports.forms import ReportFilterForm


def report_form(actor, params) -> ReportFilterForm:
    today = org_today(actor.organization)
    return ReportFilterForm(
        params or None,
        **filter_choices(actor),
        templates=selectors.template_choices(actor),
        period=selectors.default_period(today),
    )


def _charts(data: dict) -> dict:
    return {
        "opened": data["opened_over_time"],
        "platforms": [
            {"name": p["name"], "median": p["to_opening"]["median"], "n": p["to_opening"]["n"]}
            for p in data["platforms"]
        ],
        "bottlenecks": [
            {"name": b["title"], "median": b["overrun"]["median"], "n": b["overrun"]["n"]}
            for b in data["bottlenecks"]
        ],
    }


def report_page(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "report.view")
    form = report_form(actor, request.GET)
    data = selectors.report(actor=actor, filters=form.filters())
    return render_in_org_time(
        request,
        actor,
        "reports/report.html",
        {
            "form": form,
            "data": data,
            "charts": _charts(data),
            "stages": Stage.choices,
            "query": request.GET.urlencode(),
        },
    )


def report_xlsx(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "report.view")
    form = report_form(actor, request.GET)
    return exports.report_response(actor, selectors.report(actor=actor, filters=form.filters()))
