"""Workbench and project list pages."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render

from linkstar.accounts.models import Membership
from linkstar.accounts.web import web_actor
from linkstar.approvals.selectors import approval_list
from linkstar.audit.labels import action_label
from linkstar.catalog.models import Platform, Site
from linkstar.core import policy
from linkstar.entities.selectors import visible_entities
from linkstar.portal.views import portal
from linkstar.projects import selectors, visibility
from linkstar.projects.forms import ProjectFilterForm
from linkstar.projects.models import Stage

PAGE_SIZE = 25


def workbench(request, org: str):
    actor = web_actor(request, org)
    if visibility.is_client(actor):  # a client's home is its portal
        return portal(request, org)
    data = selectors.workbench(actor=actor)
    data["approvals"] = approval_list(actor=actor, mine=True)[:10]  # waiting for me
    for event in data["activity"]:
        event.action_text = action_label(event.action)
    stages = [(value, label, data["by_stage"].get(value, 0)) for value, label in Stage.choices]
    funnel = data["funnel"]
    chart = {
        "labels": [row["name"] for row in funnel.values()],
        "series": [
            {"key": key, "label": str(label), "data": [row[key] for row in funnel.values()]}
            for key, label in (
                ("preparing", Stage.PREPARING.label),
                ("under_review", Stage.UNDER_REVIEW.label),
                ("opened", Stage.OPENED.label),
                ("rejected", Stage.REJECTED.label),
            )
        ],
    }
    return render(
        request,
        "projects/workbench.html",
        {
            "actor": actor,
            **data,
            "stages": stages,
            "funnel_json": json.dumps(chart, ensure_ascii=False),
        },
    )


def filter_choices(actor) -> dict:
    """The platforms, sites, managers and seller entities a filter of projects offers (four
    small queries): the project list, the kanban and the report."""
    return {
        "platforms": [(p.code, p.display_name) for p in Platform.objects.all()],
        "sites": [(s.code, s.display_name) for s in Site.objects.select_related("platform")],
        "managers": [
            (m.user_id, m.user.display_name)
            for m in Membership.objects.filter(
                organization=actor.organization, role__in=["admin", "manager"]
            ).select_related("user")
        ],
        "entities": [(e.pk, e.name) for e in visible_entities(actor)],
    }


def filter_form(actor, params) -> ProjectFilterForm:
    """The list/kanban filter form with choices from this organization."""
    return ProjectFilterForm(params or None, **filter_choices(actor))


def project_list(request, org: str):
    actor = web_actor(request, org)
    form = filter_form(actor, request.GET)
    filters = form.filters()
    order = filters.pop("order", "") or ""
    projects = selectors.project_list(actor=actor, **filters, order=order).select_related("fact")
    if order.lstrip("-") == "forecast":  # the expected opening, kept by the reports
        when = F("fact__forecast_p50")
        when = when.desc(nulls_last=True) if order.startswith("-") else when.asc(nulls_last=True)
        projects = projects.order_by(when, "id")
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/list.html",
        {
            "actor": actor,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": policy.can(actor, "project.create"),
        },
    )
