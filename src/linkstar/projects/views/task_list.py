"""The task list across projects (任务列表): filters, a page of tasks, and one action on the
tasks chosen (assign, move due dates, start, complete, skip) through ``bulk_update_tasks``."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkstar.accounts.models import Role
from linkstar.accounts.web import web_actor
from linkstar.catalog.models import Platform, Site
from linkstar.core.exceptions import DomainError, FieldError, InvalidInput
from linkstar.playbooks.models import Phase
from linkstar.projects import selectors, services, visibility
from linkstar.projects.models import FINISHED_TASK_STATUSES, TaskStatus

PAGE_SIZE = 50
ACTIONS = (
    ("assign", gettext_lazy("Assign to")),
    ("move_due", gettext_lazy("Move due dates by days")),
    ("start", gettext_lazy("Start")),
    ("complete", gettext_lazy("Complete")),
    ("skip", gettext_lazy("Not applicable (skip)")),
    ("reopen", gettext_lazy("Reopen")),
)
FILTERS = ("q", "platform", "site", "phase", "key", "assignee", "status", "due_after", "due_before")


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _filters(request) -> dict:
    """The filters of the query string, the unknown or malformed ones dropped; a malformed date
    is named in ``values["bad_dates"]`` (the page says so, never filters silently without it)."""
    get = request.GET
    values = {name: get.get(name, "").strip() for name in FILTERS}
    if values["status"] not in TaskStatus.values:
        values["status"] = ""
    if values["phase"] not in Phase.values:
        values["phase"] = ""
    if not (values["assignee"] in ("me", "none") or values["assignee"].isdigit()):
        values["assignee"] = ""
    bad_dates = []
    for name in ("due_after", "due_before"):
        if values[name] and _date(values[name]) is None:
            bad_dates.append(name)
        if _date(values[name]) is None:
            values[name] = ""
    values["overdue"] = "1" if get.get("overdue") == "1" else ""
    return values, bad_dates


def _tasks(actor, values: dict):
    qs = visibility.visible_tasks(actor).select_related("project__site", "assignee")
    if values["q"]:
        qs = qs.filter(
            Q(project__code__icontains=values["q"]) | Q(project__store_name__icontains=values["q"])
        )
    return selectors.task_list(
        actor=actor,
        queryset=qs,
        assignee=values["assignee"] or None,
        status=values["status"] or None,
        platform=values["platform"] or None,
        site=values["site"] or None,
        phase=values["phase"] or None,
        key=values["key"] or None,
        due_after=_date(values["due_after"]),
        due_before=_date(values["due_before"]),
        overdue=True if values["overdue"] else None,
    )


def _run_action(actor, post) -> tuple[int, str]:
    """Carry out the action the form asks for; returns (tasks, what was done)."""
    action = post.get("action", "")
    task_ids = [int(v) for v in post.getlist("task") if v.isdigit()]
    options: dict = {}
    if action == "assign":
        value = post.get("assignee_id", "")
        if not (value.isdigit() or value == "none"):  # the placeholder: nobody chosen yet
            raise InvalidInput(FieldError("assignee_id", _("Choose who gets the tasks.")))
        options["assignee_id"] = int(value) if value.isdigit() else None
    elif action == "move_due":
        try:
            options["days"] = int(post.get("days", ""))
        except ValueError:
            options["days"] = None
    elif action in ("skip", "reopen"):
        options["reason"] = post.get("reason", "")
    tasks = services.bulk_update_tasks(actor=actor, action=action, task_ids=task_ids, **options)
    label = dict(ACTIONS).get(action, action)
    return len(tasks), str(label)


def _error_message(exc: DomainError) -> str:
    """The refusal in words, without field codes."""
    if isinstance(exc, InvalidInput) and exc.errors:
        return " ".join(str(e.message) for e in exc.errors)
    return exc.detail


def task_list(request, org: str):
    actor = web_actor(request, org)
    values, bad_dates = _filters(request)
    query = urlencode({k: v for k, v in values.items() if v})
    # A malformed date filter is answered 400 with the page and its words, never ignored.
    error = " ".join(f"{name}: {_('Enter a date as YYYY-MM-DD.')}" for name in bad_dates)
    chosen: set[int] = set()
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("task") if v.isdigit()}
        try:
            n, label = _run_action(actor, request.POST)
        except DomainError as exc:
            error = _error_message(exc)
        else:
            messages.success(
                request, _("%(action)s: done for %(n)d tasks.") % {"action": label, "n": n}
            )
            page_number = request.POST.get("page", "")
            suffix = "&".join(p for p in (query, f"page={page_number}" if page_number else "") if p)
            return HttpResponseRedirect(f"{request.path}?{suffix}" if suffix else request.path)
    today = services.org_today(actor.organization)
    page = Paginator(_tasks(actor, values), PAGE_SIZE).get_page(
        request.POST.get("page") or request.GET.get("page")
    )
    phases = dict(Phase.choices)
    for task in page:
        task.phase_label = phases.get(task.phase, task.phase)
        task.is_late = (
            task.status not in FINISHED_TASK_STATUSES
            and task.due_date is not None
            and task.due_date < today
        )
    # the assignees one may filter by: a client only the team of its entity's projects
    members = list(visibility.visible_members(actor).exclude(role__in=[Role.CLIENT, Role.AUDITOR]))
    return render(
        request,
        "projects/task_list.html",
        {
            "actor": actor,
            "page": page,
            "values": values,
            "query": query,
            "error": error,
            "chosen": chosen,
            "actions": ACTIONS,
            "statuses": TaskStatus.choices,
            "phases": Phase.choices,
            "platforms": list(Platform.objects.order_by("position", "code")),
            "sites": list(Site.objects.select_related("platform").order_by("position", "code")),
            "members": members,
            # auditors and clients change no task: no ticks, no action bar
            "may_act": actor.is_admin or actor.role not in (Role.AUDITOR, Role.CLIENT),
        },
        status=422 if error else 200,
    )
