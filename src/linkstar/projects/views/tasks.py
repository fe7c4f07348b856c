"""Task pages: the project page's inline task edits, the task page (or drawer), my tasks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linkstar.accounts.models import Role
from linkstar.accounts.people import shown_email
from linkstar.accounts.selectors import member_list
from linkstar.accounts.web import web_actor
from linkstar.approvals import selectors as approval_selectors
from linkstar.approvals.rules import may_decide, may_withdraw
from linkstar.catalog.models import DocumentType
from linkstar.compliance import services as compliance
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, StaleVersion
from linkstar.core.web import error_text
from linkstar.playbooks.models import Phase
from linkstar.projects import selectors, services
from linkstar.projects.models import Stage, TaskStatus
from linkstar.projects.views.detail import (
    _header_context,
    decorate_tasks,
    describe_events,
    flag_emoji,
    int_or_none,
    require_version,
    row_permissions,
    safe_next,
    tasks_panel_context,
)
from linkstar.projects.visibility import is_client

EDITABLE_FIELDS = ("status", "assignee", "due_date")
MY_TASK_STATUSES = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_APPROVAL)


def _task_url(org: str, task_id: int) -> str:
    return reverse("task_detail", args=[org, task_id])


# --- inline edits on the project page ----------------------------------------------------------


def _row_context(actor, task, *, today, members=None, conflict=None) -> dict:
    decorate_tasks([task], today=today)
    return {
        "actor": actor,
        "task": task,
        "members": (
            members
            if members is not None
            else list(member_list(actor=actor).exclude(role=Role.CLIENT))
        ),
        "today": today,
        "conflict": conflict,
        **row_permissions(actor, task.project),
    }


def _panel_response(request, actor, project_id: int):
    """The whole tasks panel (and the header, out of band): a status move can unblock other
    tasks, move the project's stage and its progress."""
    project = selectors.project_get(actor=actor, project_id=project_id)
    today = services.org_today(actor.organization)
    tasks = selectors.project_plan(actor=actor, project=project)
    context = {
        "actor": actor,
        "oob_header": True,
        **_header_context(actor, project, tasks, today),
        **tasks_panel_context(actor, project, tasks, today),
    }
    response = render(request, "projects/detail_tasks.html", context)
    response["HX-Retarget"] = "#tasks-panel"
    response["HX-Reswap"] = "outerHTML"
    return response


def _parse_edit(field: str, raw: str) -> dict:
    if field == "status":
        return {"status": raw}
    if field == "assignee":
        if raw in ("", "none"):
            return {"assignee_id": None}
        value = int_or_none(raw)
        if value is None:
            raise InvalidInput(FieldError("assignee_id", _("Choose a member.")))
        return {"assignee_id": value}
    if field == "due_date":
        if not raw:
            return {"due_date": None}
        try:
            return {"due_date": dt.date.fromisoformat(raw)}
        except ValueError:
            raise InvalidInput(FieldError("due_date", _("Enter a date as YYYY-MM-DD."))) from None
    raise InvalidInput(FieldError("field", _("This field cannot be edited here.")))


def _attempted_text(field: str, raw: str, members) -> str:
    """The value the person tried to set, in words, for the conflict warning."""
    if field == "status":
        if raw == TaskStatus.DONE:
            return _("Status: done")
        try:
            return _("Status: %(s)s") % {"s": TaskStatus(raw).label}
        except ValueError:
            return raw
    if field == "assignee":
        uid = int_or_none(raw)
        name = next((m.user.display_name for m in members if m.user_id == uid), None)
        return _("Assignee: %(v)s") % {"v": name or _("nobody")}
    if field == "due_date":
        return _("Due date: %(v)s") % {"v": raw or "—"}
    if field == "skip":
        return _("Not applicable: %(v)s") % {"v": raw}
    return raw


def _conflict_response(request, actor, task_id: int, *, field: str, raw: str):
    """Someone else changed the task: the row with its current values, the warning, and the
    person's own value kept (with a button to apply it to the current version)."""
    task = selectors.plan_task(actor=actor, task_id=task_id)
    today = services.org_today(actor.organization)
    members = list(member_list(actor=actor).exclude(role=Role.CLIENT))
    conflict = {
        "field": field,
        "value": raw,
        "text": _attempted_text(field, raw, members),
    }
    return render(
        request,
        "projects/_task_row.html",
        _row_context(actor, task, today=today, members=members, conflict=conflict),
    )


@require_POST
def task_edit(request, org: str, task_id: int):
    """One inline edit (status, assignee or due date) against the row's ``version``."""
    actor = web_actor(request, org)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    field = request.POST.get("field", "")
    if field not in EDITABLE_FIELDS:
        raise InvalidInput(FieldError("field", _("This field cannot be edited here.")))
    raw = request.POST.get("value", "").strip()
    changes = _parse_edit(field, raw)
    if field == "status":
        changes.update(ask_confirmation=True, confirm_reason=request.POST.get("confirm_reason", ""))
    version = require_version(request)
    try:
        services.update_task(
            actor=actor, task=task, version=version, keep_plan_together=True, **changes
        )
    except StaleVersion:
        if not request.htmx:
            raise
        return _conflict_response(request, actor, task_id, field=field, raw=raw)
    except Conflict as exc:
        if exc.code == "completion_unconfirmed":
            return _completion_prompt(request, actor, task)
        if exc.code != "later_tasks_move":
            raise
        return _reschedule_prompt(request, actor, task, changes["due_date"])
    if not request.htmx:
        return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))
    if field == "status":
        return _panel_response(request, actor, task.project_id)
    today = services.org_today(actor.organization)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    return render(request, "projects/_task_row.html", _row_context(actor, task, today=today))


def _completion_prompt(request, actor, task):
    """What is missing on a task being completed, and a form to complete it anyway with a
    reason (the row for HTMX, a page otherwise)."""
    confirm = {
        "unticked": [i["text"] for i in task.checklist_items if not i.get("done")],
        "gaps": compliance.task_document_gaps(task),
        "next": safe_next(request, _task_url(actor.organization.slug, task.pk)),
        "htmx": bool(request.htmx),
    }
    if not request.htmx:
        context = {"actor": actor, "task": task, "confirm": confirm}
        return render(request, "projects/complete_confirm.html", context, status=409)
    today = services.org_today(actor.organization)
    task = selectors.plan_task(actor=actor, task_id=task.pk)
    context = {**_row_context(actor, task, today=today), "confirm": confirm}
    return render(request, "projects/_task_row.html", context)


def _reschedule_prompt(request, actor, task, due_date):
    """The later tasks a new due date moves, and a button that moves them all (the row for
    HTMX, the task page otherwise)."""
    moves = services.plan_reschedule(task, due_date=due_date)
    reschedule = {"due_date": due_date, "moves": moves[1:]}
    if not request.htmx:
        back = safe_next(request, _task_url(actor.organization.slug, task.pk))
        reschedule.update(next=back, back=back)
        context = {"actor": actor, "task": task, "reschedule": reschedule}
        return render(request, "projects/reschedule.html", context, status=409)
    reschedule["next"] = reverse("project_detail", args=[actor.organization.slug, task.project_id])
    today = services.org_today(actor.organization)
    task = selectors.plan_task(actor=actor, task_id=task.pk)
    context = {**_row_context(actor, task, today=today), "reschedule": reschedule}
    return render(request, "projects/_task_row.html", context)


@require_http_methods(["GET", "POST"])
def task_reschedule(request, org: str, task_id: int):
    """GET ``?due_date=``: what moving the due date moves, as a prompt (the Gantt chart's drag).
    POST: move the task's due date and the later tasks with it, in one change."""
    actor = web_actor(request, org)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    if request.method == "GET":
        policy.require(actor, "task.plan", task)
        due = _parse_edit("due_date", request.GET.get("due_date", "").strip())["due_date"]
        if due is None:
            raise InvalidInput(FieldError("due_date", _("Choose the new due date.")))
        moves = services.plan_reschedule(task, due_date=due)
        errors = services.dependency_errors(task, due)
        reschedule = {
            "due_date": due,
            "moves": moves[1:],
            "own": moves[0],
            "errors": [str(e.message) for e in errors],
            "next": reverse("project_detail", args=[org, task.project_id]) + "?tab=gantt",
            "gantt": True,
        }
        context = {"actor": actor, "task": task, "reschedule": reschedule}
        return render(request, "projects/_reschedule_prompt.html", context)
    due = _parse_edit("due_date", request.POST.get("due_date", "").strip())["due_date"]
    if due is None:
        raise InvalidInput(FieldError("due_date", _("Choose the new due date.")))
    moves = services.reschedule_task(
        actor=actor, task=task, due_date=due, version=require_version(request)
    )
    if request.htmx:
        return _panel_response(request, actor, task.project_id)
    messages.success(
        request,
        ngettext("%(n)d task moved.", "%(n)d tasks moved.", len(moves)) % {"n": len(moves)},
    )
    return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))


@require_POST
def task_skip(request, org: str, task_id: int):
    """Mark a task not applicable, with the reason asked for by a prompt (or a form field)."""
    actor = web_actor(request, org)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    reason = request.headers.get("HX-Prompt") or ""
    if request.headers.get("HX-Prompt-URI-AutoEncoded") == "true":
        reason = unquote(reason)  # htmx encodes a header that is not Latin-1 (Chinese)
    reason = (reason or request.POST.get("reason") or "").strip()
    try:
        services.skip_task(actor=actor, task=task, reason=reason, version=require_version(request))
    except StaleVersion:
        if not request.htmx:
            raise
        return _conflict_response(request, actor, task_id, field="skip", raw=reason)
    if request.htmx:
        return _panel_response(request, actor, task.project_id)
    return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))


@require_POST
def task_reopen(request, org: str, task_id: int):
    """Reopen a done or not-applicable task with a reason; the manager may reset the later
    tasks that have started (``dependants=reset``)."""
    actor = web_actor(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    services.reopen_task(
        actor=actor,
        task=task,
        reason=request.POST.get("reason", ""),
        dependants=request.POST.get("dependants") or "keep",
        version=require_version(request),
    )
    messages.success(request, _("Reopened: the task is open again."))
    return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))


@require_POST
def task_return(request, org: str, task_id: int):
    """Return a done task for correction with what to fix (reviewers, the manager)."""
    actor = web_actor(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    services.return_for_correction(
        actor=actor,
        task=task,
        reason=request.POST.get("reason", ""),
        version=require_version(request),
    )
    messages.success(request, _("Returned for correction; its assignee is told."))
    return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))


# --- the task page -------------------------------------------------------------------------------


def _approval_panels(actor, task, approvals, *, can_work: bool) -> list[dict]:
    project_active = task.project.status == "active"
    panels = []
    for approval in approvals:
        approval.project = task.project  # the policy reads the manager from it; no query
        approval.task = task
        decided = {d.level: d for d in approval.decision_list}
        levels = [
            {
                "level": n,
                "decision": decided.get(n),
                "current": approval.status == "pending" and n == approval.current_level,
            }
            for n in range(1, approval.levels + 1)
        ]
        panels.append(
            {
                "approval": approval,
                "levels": levels,
                "may_decide": may_decide(
                    actor, approval, {d.decided_by_id for d in approval.decision_list}
                ),
                "may_withdraw": project_active and may_withdraw(actor, approval, works_on=can_work),
            }
        )
    return panels


def _mention_team(task, actor) -> list[dict]:
    """The team one may @mention; a client reads no e-mail address of the staff, so it mentions
    them by name, and those without a name are not offered (issue 15 §1)."""
    project = task.project
    users = list(project.member_list)
    if project.manager is not None and all(u.pk != project.manager_id for u in users):
        users.insert(0, project.manager)
    team = []
    for u in users:
        email = shown_email(u, actor)
        if u.name or email:
            team.append(
                {"id": u.pk, "name": u.name or "", "email": email, "handle": u.name or email}
            )
    return team


def task_page_context(request, actor, task_id: int, **extra) -> dict:
    task = selectors.task_page(actor=actor, task_id=task_id)
    project = task.project
    today = services.org_today(actor.organization)
    perms = row_permissions(actor, project)
    decorate_tasks([task], today=today)
    all_document_types = list(DocumentType.objects.order_by("position"))
    doc_types = {d.code: d for d in all_document_types if d.code in task.document_types}
    approvals = approval_selectors.task_approvals(task=task)
    history = describe_events(
        selectors.task_history(task=task, approval_ids=[a.pk for a in approvals]),
        actor=actor,
        tasks_by_id={task.pk: task},
        approval_tasks={a.pk: task.pk for a in approvals},
    )
    checklist_done = sum(1 for item in task.checklist if item.get("done"))
    english = (get_language() or "").startswith("en")
    context = {
        "phase_label": dict(Phase.choices).get(task.phase, task.phase),
        "role_label": dict(Role.choices).get(task.role, task.role),
        "sets_stage_label": (
            Stage(task.sets_stage).label if task.sets_stage in Stage.values else task.sets_stage
        ),
        "task_description": (task.description_en if english else "") or task.description,
        "next_url": (
            request.htmx.current_url_abs_path
            if request.htmx and request.htmx.current_url_abs_path
            else request.get_full_path()
        ),
        "actor": actor,
        "task": task,
        "project": project,
        "flag": flag_emoji(project.site.country),
        "today": today,
        "documents": [
            {"code": code, "name": doc_types[code].display_name if code in doc_types else code}
            for code in task.document_types
        ],
        "checklist_done": checklist_done,
        "all_document_types": all_document_types,
        "comments": list(selectors.comment_list(actor=actor, task=task)),
        # staff choose whether a comment is shown to the client; a client's always is
        "may_share_with_client": not is_client(actor),
        # who works on the task may comment; a client only on its own entity's (one check less)
        "can_comment": perms["can_work"]
        or (
            project.status == "active"
            and actor.role == Role.CLIENT
            and policy.can(actor, "task.comment", task)
        ),
        "mention_team": _mention_team(task, actor),
        "approval_panels": _approval_panels(actor, task, approvals, can_work=perms["can_work"]),
        "history": list(reversed(history)),
        "members": (
            list(member_list(actor=actor).exclude(role=Role.CLIENT)) if perms["can_plan"] else []
        ),
        **perms,
    }
    context.update(_correction_context(actor, task, can_work=perms["can_work"]))
    context.update(extra)
    return context


def _correction_context(actor, task, *, can_work: bool) -> dict:
    """What may be undone on the task page: reopen (with the later tasks that have started),
    return for correction, back to to-do."""
    active = task.project.status == "active"
    finished = active and task.status in (TaskStatus.DONE, TaskStatus.SKIPPED)
    may_reopen = finished and services.may_reopen(actor, task)
    return {
        "may_reopen": may_reopen,
        "may_reset": may_reopen and policy.can(actor, "task.plan", task),
        "started_dependants": selectors.started_dependants(task) if may_reopen else [],
        "can_return": active
        and task.status == TaskStatus.DONE
        and policy.can(actor, "task.return", task),
        "can_back_to_todo": active and task.status == TaskStatus.IN_PROGRESS and can_work,
    }


def task_detail(request, org: str, task_id: int):
    actor = web_actor(request, org)
    drawer = bool(request.htmx and request.GET.get("drawer"))
    context = task_page_context(request, actor, task_id, drawer=drawer)
    template = "projects/_task_body.html" if drawer else "projects/task_detail.html"
    return render(request, template, context)


@require_POST
def task_checklist(request, org: str, task_id: int):
    """Tick or untick checklist items: the ticked positions, against the task's ``version``."""
    actor = web_actor(request, org)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    ticked = {int_or_none(v) for v in request.POST.getlist("done")}
    checklist = [
        {"text": item.get("text", ""), "done": i in ticked} for i, item in enumerate(task.checklist)
    ]
    conflict = False
    try:
        services.update_task(
            actor=actor, task=task, checklist=checklist, version=require_version(request)
        )
    except StaleVersion:
        if not request.htmx:
            raise
        conflict = True
    if not request.htmx:
        return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)))
    task = selectors.plan_task(actor=actor, task_id=task_id)
    context = {
        "actor": actor,
        "task": task,
        "checklist_done": sum(1 for item in task.checklist if item.get("done")),
        "checklist_conflict": conflict,
        **row_permissions(actor, task.project),
    }
    return render(request, "projects/_task_checklist.html", context)


@require_POST
def task_comment(request, org: str, task_id: int):
    actor = web_actor(request, org)
    task = selectors.plan_task(actor=actor, task_id=task_id)
    body = request.POST.get("body", "")
    for_client = request.POST.get("for_client") == "1"
    error = None
    try:
        services.add_comment(
            actor=actor, project=task.project, task=task, body=body, for_client=for_client
        )
    except InvalidInput as exc:
        if not request.htmx:
            raise
        error = error_text(exc)
    if not request.htmx:
        messages.success(request, _("Comment posted."))
        return HttpResponseRedirect(safe_next(request, _task_url(org, task_id)) + "#comments")
    context = task_page_context(
        request,
        actor,
        task_id,
        comment_error=error,
        comment_body=body if error else "",
        comment_for_client=for_client and bool(error),
    )
    return render(request, "projects/_task_comments.html", context)


# --- my tasks ------------------------------------------------------------------------------------


def my_tasks(request, org: str):
    actor = web_actor(request, org)
    status = request.GET.get("status", "")
    if status not in MY_TASK_STATUSES:
        status = ""
    today = services.org_today(actor.organization)
    page = Paginator(selectors.my_open_tasks(actor=actor, status=status or None), 50).get_page(
        request.GET.get("page")
    )
    for task in page:
        task.is_late = task.due_date is not None and task.due_date < today
    return render(
        request,
        "projects/my_tasks.html",
        {
            "actor": actor,
            "page": page,
            "status": status,
            "statuses": [(s, TaskStatus(s).label) for s in MY_TASK_STATUSES],
            "today": today,
        },
    )
