from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from linkstar.accounts.people import actor_label
from linkstar.accounts.web import actor_for
from linkstar.audit.serializers import audit_event_out
from linkstar.core import policy
from linkstar.core.api import ERRORS, Paging, page
from linkstar.projects import selectors, services
from linkstar.projects.schemas import (
    BatchIn,
    BatchOut,
    CommentIn,
    CommentList,
    CommentOut,
    HistoryOut,
    ProjectIn,
    ProjectList,
    ProjectListFilters,
    ProjectOut,
    ProjectPatch,
    ReopenIn,
    ReopenPreview,
    RescheduleIn,
    RescheduleOut,
    RestoreIn,
    ReturnIn,
    SkipIn,
    StageIn,
    TaskBulkIn,
    TaskBulkOut,
    TaskList,
    TaskOut,
    TaskPatch,
    VersionIn,
)
from linkstar.projects.serializers import comment_out, project_out, task_out
from linkstar.reports.serializers import with_forecasts

router = Router(tags=["store projects and tasks"])


class ProjectFilters(ProjectListFilters):
    order: str = "-created_at"


class TaskFilters(Schema):
    assignee: str | None = Field(
        None, pattern=r"^(me|none|\d+)$", description="me, none (unassigned), or a user id"
    )
    status: str | None = Field(None, description="one or several, comma-separated")
    due_before: dt.date | None = Field(None, description="due before this day")
    due_after: dt.date | None = Field(None, description="due on or after this day")
    project: int | None = None
    platform: str | None = Field(None, description="platform code, e.g. amazon")
    site: str | None = Field(None, description="site code, e.g. amazon-us")
    phase: str | None = Field(None, description="one or several, comma-separated")
    key: str | None = Field(None, description="the step's key in its template")
    overdue: bool | None = Field(None, description="open, past due, on an active project")


def _fresh_project(actor, project_id: int) -> dict:
    project = selectors.project_get(actor=actor, project_id=project_id)
    return with_forecasts([project_out(project, actor)])[0]


def _fresh_task(actor, task_id: int) -> dict:
    today = services.org_today(actor.organization)
    return task_out(selectors.task_get(actor=actor, task_id=task_id), today=today)


@router.get("/orgs/{org}/projects", response={200: ProjectList, **ERRORS})
def project_list(request, org: str, paging: Query[Paging], filters: Query[ProjectFilters]):
    actor = actor_for(request, org)
    qs = selectors.project_list(actor=actor, **filters.model_dump())
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ps: with_forecasts([project_out(p, actor) for p in ps]),
    )


@router.post("/orgs/{org}/projects", response={201: ProjectOut, **ERRORS})
def project_create(request, org: str, payload: ProjectIn):
    """Create a project from a published template version; its tasks are created with dates."""
    actor = actor_for(request, org)
    project = services.create_project(actor=actor, **payload.model_dump())
    return Status(201, _fresh_project(actor, project.pk))


@router.post("/orgs/{org}/projects/batch", response={201: BatchOut, **ERRORS})
def project_batch(request, org: str, payload: BatchIn):
    """All rows or none: one bad row → 422 naming the row (``errors[].row``), nothing created."""
    actor = actor_for(request, org)
    rows = [services.ProjectRow(**r.model_dump()) for r in payload.rows]
    projects = services.create_projects_batch(
        actor=actor,
        template_id=payload.template_id,
        version=payload.version,
        rows=rows,
        start_date=payload.start_date,
        members=payload.members,
        team_roles=payload.team_roles,
    )
    return Status(201, {"created": [p.pk for p in projects], "codes": [p.code for p in projects]})


@router.get("/orgs/{org}/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def project_get(request, org: str, project_id: int):
    actor = actor_for(request, org)
    return _fresh_project(actor, project_id)


@router.patch("/orgs/{org}/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def project_update(request, org: str, project_id: int, payload: ProjectPatch):
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    fields = payload.model_dump(exclude_unset=True)
    services.update_project(actor=actor, project=project, **fields)
    return _fresh_project(actor, project_id)


@router.post("/orgs/{org}/projects/{project_id}/stage", response={200: ProjectOut, **ERRORS})
def project_stage(request, org: str, project_id: int, payload: StageIn):
    """409 ``transition_not_allowed`` for a move the stage state machine lacks."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    services.change_stage(
        actor=actor,
        project=project,
        stage=payload.stage,
        note=payload.note or "",
        version=payload.version,
    )
    return _fresh_project(actor, project_id)


@router.post("/orgs/{org}/projects/{project_id}/close", response={200: ProjectOut, **ERRORS})
def project_close(request, org: str, project_id: int, payload: VersionIn | None = None):
    """Close once opened, rejected or cancelled; 409 while tasks are open."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    services.close_project(
        actor=actor, project=project, version=payload.version if payload else None
    )
    return _fresh_project(actor, project_id)


@router.post("/orgs/{org}/projects/{project_id}/restore", response={200: ProjectOut, **ERRORS})
def project_restore(request, org: str, project_id: int, payload: RestoreIn | None = None):
    """Undo a cancellation within 30 days (administrators): back to the stage it was cancelled
    from, active again."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    services.restore_project(
        actor=actor,
        project=project,
        note=(payload.note or "") if payload else "",
        version=payload.version if payload else None,
    )
    return _fresh_project(actor, project_id)


@router.get("/orgs/{org}/projects/{project_id}/tasks", response={200: TaskList, **ERRORS})
def project_tasks(request, org: str, project_id: int, paging: Query[Paging]):
    """The project's tasks in plan order."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    today = services.org_today(actor.organization)
    return page(
        selectors.project_tasks(actor=actor, project=project),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ts: [task_out(t, today=today) for t in ts],
    )


@router.get("/orgs/{org}/projects/{project_id}/history", response={200: HistoryOut, **ERRORS})
def project_history(request, org: str, project_id: int):
    """Stage changes and the audit events of the project."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    changes, events = selectors.project_history(project=project, actor=actor)
    return {
        "stage_changes": [
            {
                "from_stage": c.from_stage or None,
                "to_stage": c.to_stage,
                "note": c.note,
                "actor_id": c.actor_id,
                "task_id": c.task_id,
                "at": c.at,
            }
            for c in changes
        ],
        # a client reads the staff's names, not their e-mail addresses (issue 15 §1)
        "events": [
            {**audit_event_out(e), "actor": actor_label(e.actor_label, e.actor, actor)}
            for e in events
        ],
    }


@router.get("/orgs/{org}/projects/{project_id}/comments", response={200: CommentList, **ERRORS})
def project_comments(request, org: str, project_id: int, paging: Query[Paging]):
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    return page(
        selectors.comment_list(actor=actor, project=project),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda cs: [comment_out(c) for c in cs],
    )


@router.post("/orgs/{org}/projects/{project_id}/comments", response={201: CommentOut, **ERRORS})
def project_comment_create(request, org: str, project_id: int, payload: CommentIn):
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    comment = services.add_comment(
        actor=actor, project=project, body=payload.body, for_client=payload.for_client
    )
    return Status(201, comment_out(comment))


# --- tasks -----------------------------------------------------------------------------------


@router.get("/orgs/{org}/tasks", response={200: TaskList, **ERRORS})
def task_list(request, org: str, paging: Query[Paging], filters: Query[TaskFilters]):
    actor = actor_for(request, org)
    today = services.org_today(actor.organization)
    qs = selectors.task_list(actor=actor, **filters.model_dump())
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ts: [task_out(t, today=today) for t in ts],
    )


@router.post("/orgs/{org}/tasks/bulk", response={200: TaskBulkOut, **ERRORS})
def task_bulk(request, org: str, payload: TaskBulkIn):
    """One action on many tasks, all or nothing: the first refusal names its task and the
    reason (403, 409 or 422 as for one task) and nothing changes."""
    actor = actor_for(request, org)
    tasks = services.bulk_update_tasks(
        actor=actor,
        action=payload.action,
        task_ids=payload.task_ids,
        assignee_id=payload.assignee_id,
        days=payload.days,
        reason=payload.reason or "",
        working_days=payload.working_days,
    )
    today = services.org_today(actor.organization)
    fresh = {t.pk: t for t in selectors.task_queryset(actor).filter(pk__in=[t.pk for t in tasks])}
    return {
        "action": payload.action,
        "count": len(tasks),
        "items": [task_out(fresh[t.pk], today=today) for t in tasks],
    }


@router.get("/orgs/{org}/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def task_get(request, org: str, task_id: int):
    actor = actor_for(request, org)
    return _fresh_task(actor, task_id)


@router.patch("/orgs/{org}/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def task_update(request, org: str, task_id: int, payload: TaskPatch):
    """Status moves follow the state machine (409 ``transition_not_allowed``, 409
    ``dependency_not_done``); ``done`` on a task that needs approval opens an approval request and
    answers ``status: "awaiting_approval"``."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    fields = payload.model_dump(exclude_unset=True)
    if "checklist" in fields and fields["checklist"] is not None:
        fields["checklist"] = [dict(item) for item in fields["checklist"]]
    services.update_task(actor=actor, task=task, **fields)
    return _fresh_task(actor, task_id)


@router.post("/orgs/{org}/tasks/{task_id}/skip", response={200: TaskOut, **ERRORS})
def task_skip(request, org: str, task_id: int, payload: SkipIn):
    """Not applicable (不适用): manager or admin, with a reason."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    services.skip_task(actor=actor, task=task, reason=payload.reason, version=payload.version)
    return _fresh_task(actor, task_id)


@router.get("/orgs/{org}/tasks/{task_id}/reopen", response={200: ReopenPreview, **ERRORS})
def task_reopen_preview(request, org: str, task_id: int):
    """What reopening the task would do, nothing written: the status it takes and the later
    tasks that have started (the manager keeps them or resets them to to-do)."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    return {
        "task_id": task.pk,
        "status": task.status,
        "may_reopen": services.may_reopen(actor, task),
        "may_reset": policy.can(actor, "task.plan", task),
        "becomes": "in_progress" if task.started_at else "todo",
        "started_dependants": [
            {
                "id": t.pk,
                "key": t.key,
                "title": t.title,
                "title_en": t.title_en,
                "status": t.status,
                "assignee_id": t.assignee_id,
            }
            for t in selectors.started_dependants(task)
        ],
    }


@router.post("/orgs/{org}/tasks/{task_id}/reopen", response={200: TaskOut, **ERRORS})
def task_reopen(request, org: str, task_id: int, payload: ReopenIn):
    """Reopen a done or not-applicable task with a reason: the project's manager or an admin, or
    the person who finished it within a day. ``dependants: "reset"`` (manager) sends the later
    tasks that have started back to to-do."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    services.reopen_task(
        actor=actor,
        task=task,
        reason=payload.reason,
        dependants=payload.dependants,
        version=payload.version,
    )
    return _fresh_task(actor, task_id)


def _moves_out(task_id: int, moves) -> dict:
    return {
        "task_id": task_id,
        "moves": [
            {
                "id": m.task.pk,
                "key": m.task.key,
                "title": m.task.title,
                "title_en": m.task.title_en,
                "status": m.task.status,
                "start_before": m.start_before,
                "due_before": m.due_before,
                "start_after": m.start_after,
                "due_after": m.due_after,
                "days": m.days,
                "kept": m.kept,
            }
            for m in moves
        ],
    }


@router.get("/orgs/{org}/tasks/{task_id}/reschedule", response={200: RescheduleOut, **ERRORS})
def task_reschedule_preview(
    request, org: str, task_id: int, due_date: dt.date, start_date: dt.date | None = None
):
    """What moving the task's due date would move, nothing written: the task first, then the
    later tasks in plan order (finished ones ``kept``)."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    return _moves_out(
        task.pk, services.plan_reschedule(task, due_date=due_date, start_date=start_date)
    )


@router.post("/orgs/{org}/tasks/{task_id}/reschedule", response={200: RescheduleOut, **ERRORS})
def task_reschedule(request, org: str, task_id: int, payload: RescheduleIn):
    """Move the task's dates and the open later tasks that must move with it, in one change
    (the project's manager or an admin); 422 when it would be due before a task it depends
    on."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    moves = services.reschedule_task(
        actor=actor,
        task=task,
        due_date=payload.due_date,
        start_date=payload.start_date,
        version=payload.version,
    )
    return _moves_out(task.pk, moves)


@router.post("/orgs/{org}/tasks/{task_id}/return", response={200: TaskOut, **ERRORS})
def task_return(request, org: str, task_id: int, payload: ReturnIn):
    """Return a done task for correction (退回修改) with what to fix: reviewers, admins, the
    project's manager. The task is in progress again; its assignee is told."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    services.return_for_correction(
        actor=actor, task=task, reason=payload.reason, version=payload.version
    )
    return _fresh_task(actor, task_id)


@router.get("/orgs/{org}/tasks/{task_id}/comments", response={200: CommentList, **ERRORS})
def task_comments(request, org: str, task_id: int, paging: Query[Paging]):
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    return page(
        selectors.comment_list(actor=actor, task=task),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda cs: [comment_out(c) for c in cs],
    )


@router.post("/orgs/{org}/tasks/{task_id}/comments", response={201: CommentOut, **ERRORS})
def task_comment_create(request, org: str, task_id: int, payload: CommentIn):
    """``@email`` or ``@name`` mentions of members are recorded (and notify)."""
    actor = actor_for(request, org)
    task = selectors.task_get(actor=actor, task_id=task_id)
    comment = services.add_comment(
        actor=actor,
        project=task.project,
        task=task,
        body=payload.body,
        for_client=payload.for_client,
    )
    return Status(201, comment_out(comment))
