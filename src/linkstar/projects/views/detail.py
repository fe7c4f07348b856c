"""The project page: header, stage and close actions, and the tasks / Gantt / team / history tabs."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.models import Role
from linkstar.accounts.people import actor_label, person_name
from linkstar.accounts.selectors import member_list
from linkstar.accounts.web import web_actor
from linkstar.approvals.models import ApprovalRequest
from linkstar.audit import labels as audit_labels
from linkstar.core import policy
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.platformmail.views import project_mail_context
from linkstar.playbooks.models import Phase, Template
from linkstar.projects import selectors, services
from linkstar.projects.gantt import PHASE_ORDER, render_gantt
from linkstar.projects.models import Stage, TaskStatus
from linkstar.projects.rules import CLOSABLE_STAGES, SKIPPABLE, STAGE_TRANSITIONS, TASK_TRANSITIONS

TABS = ("tasks", "gantt", "team", "history", "mail")


# --- small helpers shared with the task pages ----------------------------------------------------


def flag_emoji(country: str) -> str:
    """🇺🇸 from ``US``; a globe for multi-country sites (``GLOBAL``)."""
    code = (country or "").upper()
    if len(code) != 2 or not code.isalpha():
        return "🌐"
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code)


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def require_version(request) -> int:
    version = int_or_none(request.POST.get("version"))
    if version is None:
        raise InvalidInput(FieldError("version", _("The form is missing the version; reload.")))
    return version


def task_moves(task) -> list[tuple[str, str]]:
    """The status moves a person may ask for on this task, with their button labels."""
    moves = []
    for target in sorted(TASK_TRANSITIONS[task.status]):
        if target == TaskStatus.IN_PROGRESS:
            moves.append((target, _("Start")))
        elif target == TaskStatus.DONE:
            moves.append(
                (target, _("Request approval") if task.approval_levels else _("Mark done"))
            )
    return moves


def decorate_tasks(tasks, *, today: dt.date) -> None:
    for task in tasks:
        task.moves = task_moves(task)
        task.skippable = task.status in SKIPPABLE
        task.is_late = task.is_open and task.due_date is not None and task.due_date < today


def phase_groups(tasks) -> list[dict]:
    labels = dict(Phase.choices)
    groups: dict[str, list] = {}
    for task in tasks:
        groups.setdefault(task.phase, []).append(task)
    order = [p for p in PHASE_ORDER if p in groups] + [p for p in groups if p not in PHASE_ORDER]
    return [
        {
            "phase": p,
            "label": labels.get(p, p),
            "tasks": groups[p],
            "finished": sum(1 for t in groups[p] if not t.is_open),
        }
        for p in order
    ]


def row_permissions(actor, project) -> dict:
    """What the actor may do to the tasks of ``project`` (the rules are per project)."""
    active = project.status == "active"
    return {
        "can_work": active and policy.can(actor, "task.work", project),
        "can_plan": active and policy.can(actor, "task.plan", project),
        "can_skip": active and policy.can(actor, "task.skip", project),
    }


# --- history: audit events in words (audit/labels.py) ----------------------------------------------

# Events that change existing values: an empty "before" is worth showing ("— → Carol"); in
# the others (created, requested, decided) an empty "before" just means "new".
UPDATE_ACTIONS = {"task.updated", "project.updated"}


def _event_task_id(e) -> int | None:
    if e.object_type == "task":
        return int_or_none(e.object_id)
    if e.object_type == "comment":
        return ((e.changes or {}).get("task_id") or {}).get("after")
    return None


def describe_events(
    events, *, actor, tasks_by_id: dict, approval_tasks: dict, names: dict | None = None
) -> list[dict]:
    """Each audit event as a sentence (who did what to which task) and its changed fields.
    ``names``: field → {raw value → text} for values the page already knows (entity, site)."""
    user_ids = audit_labels.referenced_ids([e.changes for e in events], "user")
    user_ids |= {e.actor_id for e in events if e.actor_id}
    users = selectors.users_by_id(actor=actor, ids=user_ids)
    names = {**(names or {}), "user": {pk: person_name(u, actor) for pk, u in users.items()}}
    described = []
    for e in events:
        changes = e.changes or {}
        if e.object_type == "approvalrequest":
            task_id = approval_tasks.get(int_or_none(e.object_id))
        else:
            task_id = _event_task_id(e)
        task = tasks_by_id.get(task_id)
        task_name = task.display_title if task else (e.object_repr or "")
        level = (changes.get("level") or {}).get("after")
        summary = audit_labels.sentence(e.action, changes, task=task_name, level=level) or (
            f"{audit_labels.action_label(e.action)} · {e.object_repr}"
        )
        actor_user = users.get(e.actor_id)
        described.append(
            {
                "event": e,
                "at": e.at,
                "actor": (
                    person_name(actor_user, actor)
                    if actor_user
                    else actor_label(e.actor_label, None, actor)
                ),
                "summary": summary,
                "details": audit_labels.history_changes(
                    changes,
                    object_type=e.object_type,
                    update=e.action in UPDATE_ACTIONS,
                    names=names,
                ),
                "task_id": task_id if task else None,
                "action": e.action,
                "rejected": e.action == "approval.rejected",
            }
        )
    return described


# --- the page --------------------------------------------------------------------------------------


def _stage_label(value: str) -> str:
    try:
        return str(Stage(value).label)
    except ValueError:
        return value


def _restorable_until(actor, project):
    """Until when the actor may still restore this cancelled project (None: not at all)."""
    if project.stage != Stage.CANCELLED or not policy.can(actor, "project.restore", project):
        return None
    until = services.restorable_until(project)
    return until if until is not None and until > timezone.now() else None


def _header_context(actor, project, tasks, today) -> dict:
    can_stage = project.status == "active" and policy.can(actor, "project.stage", project)
    can_close = (
        project.status == "active"
        and project.stage in CLOSABLE_STAGES
        and policy.can(actor, "project.close", project)
    )
    return {
        "project": project,
        "flag": flag_emoji(project.site.country),
        "days_late": selectors.days_late(tasks, today),
        "open_task_count": sum(1 for t in tasks if t.is_open),
        "stage_moves": (
            [(s, Stage(s).label) for s in Stage.values if s in STAGE_TRANSITIONS[project.stage]]
            if can_stage
            else []
        ),
        "can_stage": can_stage,
        "can_close": can_close,
        "newer_version": selectors.newer_version(project),
        "restorable_until": _restorable_until(actor, project),
        "can_upgrade": policy.can(actor, "project.update", project),
    }


def tasks_panel_context(actor, project, tasks, today) -> dict:
    decorate_tasks(tasks, today=today)
    return {
        "phases": phase_groups(tasks),
        "members": list(member_list(actor=actor).exclude(role=Role.CLIENT)),
        "today": today,
        **row_permissions(actor, project),
    }


def project_detail(request, org: str, project_id: int):
    actor = web_actor(request, org)
    # with its facts: the header shows the expected opening the reports keep
    project = policy.get_visible(
        selectors.project_queryset(actor).select_related("fact"), pk=project_id
    )
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "tasks"
    today = services.org_today(actor.organization)
    tasks = selectors.project_plan(actor=actor, project=project)
    context = {"actor": actor, "tab": tab, **_header_context(actor, project, tasks, today)}
    if tab == "tasks":
        context.update(tasks_panel_context(actor, project, tasks, today))
    elif tab == "gantt":
        chart = render_gantt(
            tasks,
            today=today,
            phase_labels={k: str(v) for k, v in Phase.choices},
            status_labels={k: str(v) for k, v in TaskStatus.choices},
            link=lambda pk: reverse("task_detail", args=[org, pk]),
            draggable=project.status == "active" and policy.can(actor, "task.plan", project),
        )
        context.update({"gantt": chart, "task_count": len(tasks), "today": today})
    elif tab == "team":
        can_update = project.status == "active" and policy.can(actor, "project.update", project)
        team = selectors.project_team(project=project)
        on_team = {row["membership"].user_id for row in team}
        context.update(
            {
                "team": team,
                "can_update_team": can_update,
                "candidates": (
                    [m for m in member_list(actor=actor) if m.user_id not in on_team]
                    if can_update
                    else []
                ),
            }
        )
    elif tab == "mail":
        context.update(project_mail_context(actor, project))
    else:
        changes, events = selectors.project_history(project=project, actor=actor)
        approval_tasks = dict(
            ApprovalRequest.objects.filter(
                organization_id=project.organization_id, project_id=project.pk
            ).values_list("pk", "task_id")
        )
        for change in changes:
            change.from_label = _stage_label(change.from_stage) if change.from_stage else ""
            change.to_label = _stage_label(change.to_stage)
        version = project.template_version
        template = Template.objects.only("name", "name_en", "organization_id").get(
            pk=version.template_id
        )
        # a client reads no name of the organization's own templates (issue 15 §1)
        template_name = (
            f"v{version.number}"
            if actor.is_client and not template.builtin
            else f"{template.display_name} v{version.number}"
        )
        names = {
            "entity_id": {project.entity_id: project.entity.name},
            "site": {project.site.code: project.site.display_name},
            "template": {(version.template_id, version.number): template_name},
        }
        context.update(
            {
                "stage_changes": list(reversed(changes)),
                "events": list(
                    reversed(
                        describe_events(
                            events,
                            actor=actor,
                            tasks_by_id={t.pk: t for t in tasks},
                            approval_tasks=approval_tasks,
                            names=names,
                        )
                    )
                ),
            }
        )
    return render(request, "projects/detail.html", context)


def _project_url(org: str, project_id: int, tab: str | None = None) -> str:
    url = reverse("project_detail", args=[org, project_id])
    return f"{url}?tab={tab}" if tab and tab != "tasks" else url


@require_POST
def project_stage(request, org: str, project_id: int):
    """A stage button: the move goes through the state machine in ``change_stage``."""
    actor = web_actor(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    stage = request.POST.get("stage", "")
    services.change_stage(
        actor=actor,
        project=project,
        stage=stage,
        note=request.POST.get("note", ""),
        version=require_version(request),
    )
    try:
        label = Stage(stage).label
    except ValueError:
        label = stage
    messages.success(request, _("The stage is now %(s)s.") % {"s": label})
    return HttpResponseRedirect(_project_url(org, project.pk))


@require_POST
def project_close(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    services.close_project(actor=actor, project=project, version=require_version(request))
    messages.success(request, _("Project %(c)s is closed.") % {"c": project.code})
    return HttpResponseRedirect(_project_url(org, project.pk))


@require_POST
def project_restore(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    services.restore_project(
        actor=actor,
        project=project,
        note=request.POST.get("note", ""),
        version=require_version(request),
    )
    messages.success(
        request,
        _("Project %(c)s is restored to %(s)s.")
        % {"c": project.code, "s": Stage(project.stage).label},
    )
    return HttpResponseRedirect(_project_url(org, project.pk))


@require_POST
def project_team_edit(request, org: str, project_id: int):
    """Add or remove one team member (``update_project`` with the whole new team)."""
    actor = web_actor(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    user_id = int_or_none(request.POST.get("user_id"))
    if user_id is None:
        raise InvalidInput(FieldError("user_id", _("Choose a member.")))
    current = {u.pk for u in project.member_list}
    removing = request.POST.get("action") == "remove"
    members = current - {user_id} if removing else current | {user_id}
    services.update_project(
        actor=actor, project=project, members=sorted(members), version=require_version(request)
    )
    return HttpResponseRedirect(_project_url(org, project.pk, "team"))
