"""Kanban (看板): the projects in one column per stage. Dropping a card on another column asks
the stage service for the move; the service decides (state machine, permission, stale version)
and the page shows its answer. Only the column is stored, never the order inside it."""

from __future__ import annotations

from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.projects import selectors, services
from linkstar.projects.models import ProjectStatus, Stage
from linkstar.projects.rules import STAGE_TRANSITIONS
from linkstar.projects.views.lists import filter_form

# Cards drawn per column; the rest are one "more…" link away, in the filtered project list.
COLUMN_LIMIT = 50


def _card(actor, project):
    """What a card needs to know besides the project: may it be moved, and where to."""
    active = project.status == ProjectStatus.ACTIVE
    project.kanban_movable = active and policy.can(actor, "project.stage", project)
    project.kanban_lock_reason = ""
    if not active:
        project.kanban_lock_reason = _("Closed projects do not move.")
    elif not project.kanban_movable:
        project.kanban_lock_reason = policy.DENIED_MESSAGES["project.stage"]
    project.kanban_moves = " ".join(sorted(STAGE_TRANSITIONS[project.stage])) if active else ""
    return project


def kanban(request, org: str):
    actor = web_actor(request, org)
    params = request.GET.copy()
    params.setdefault("status", ProjectStatus.ACTIVE)  # active projects unless asked otherwise
    form = filter_form(actor, params)
    projects = (
        selectors.project_list(actor=actor, **form.filters())
        .prefetch_related(None)
        .select_related("fact")
    )
    counts = dict(projects.order_by().values_list("stage").annotate(n=Count("pk")))
    query = params.copy()
    query.pop("stage", None)
    query.pop("page", None)
    columns = []
    for value, label in Stage.choices:
        count = counts.get(value, 0)
        cards = (
            [_card(actor, p) for p in projects.filter(stage=value)[:COLUMN_LIMIT]] if count else []
        )
        columns.append(
            {
                "stage": value,
                "label": label,
                "count": count,
                "cards": cards,
                "more": count - len(cards),
                "more_query": f"{query.urlencode()}&stage={value}",
            }
        )
    return render(
        request,
        "projects/kanban.html",
        {
            "actor": actor,
            "form": form,
            "columns": columns,
            "total": sum(counts.values()),
            "can_create": policy.can(actor, "project.create"),
        },
    )


@require_POST
def kanban_move(request, org: str, project_id: int):
    """Move a card's project to ``stage``, given the ``version`` the card was drawn with.
    A refusal propagates: DomainErrorMiddleware answers the fetch with the reason as text."""
    actor = web_actor(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    raw_version = request.POST.get("version", "")
    services.change_stage(
        actor=actor,
        project=project,
        stage=request.POST.get("stage", ""),
        version=int(raw_version) if raw_version.isdigit() else None,
    )
    project = _card(actor, selectors.project_get(actor=actor, project_id=project_id))
    html = render_to_string(
        "projects/kanban_card.html", {"p": project, "actor": actor}, request=request
    )
    return JsonResponse(
        {"id": project.pk, "stage": project.stage, "version": project.version, "html": html}
    )
