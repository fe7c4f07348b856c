"""Reads on projects and tasks, always scoped to what the actor may see, at a fixed query cost."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from linkstar.audit.models import AuditEvent
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.projects.models import (
    FINISHED_TASK_STATUSES,
    Comment,
    Mention,
    StageChange,
    StoreProject,
    Task,
)
from linkstar.projects.services import org_today


def _overdue_tasks(today: dt.date):
    return Task.objects.filter(project_id=OuterRef("pk"), due_date__lt=today).exclude(
        status__in=FINISHED_TASK_STATUSES
    )


def project_queryset(actor: Actor) -> QuerySet[StoreProject]:
    today = org_today(actor.organization)
    return (
        policy.visible_projects(actor)
        .select_related("site__platform", "entity", "manager", "template_version")
        .prefetch_related(Prefetch("members", to_attr="member_list"))
        .annotate(is_overdue=Exists(_overdue_tasks(today)))
    )


def project_list(
    *,
    actor: Actor,
    site: str | None = None,
    platform: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    manager: int | None = None,
    entity: int | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    order: str = "-created_at",
) -> QuerySet[StoreProject]:
    qs = project_queryset(actor)
    if site:
        qs = qs.filter(site__code=site)
    if platform:
        qs = qs.filter(site__platform__code=platform)
    if stage:
        qs = qs.filter(stage__in=stage.split(","))
    if status:
        qs = qs.filter(status=status)
    if manager:
        qs = qs.filter(manager_id=manager)
    if entity:
        qs = qs.filter(entity_id=entity)
    if overdue is not None:
        qs = qs.filter(is_overdue=overdue)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(store_name__icontains=q))
    allowed = {"created_at", "code", "store_name", "start_date", "planned_finish", "stage"}
    field = order.lstrip("-")
    if field not in allowed:
        order = "-created_at"
    return qs.order_by(order, "-id" if order.startswith("-") else "id")


def project_get(*, actor: Actor, project_id: int) -> StoreProject:
    return policy.get_visible(project_queryset(actor), pk=project_id)


def task_queryset(actor: Actor) -> QuerySet[Task]:
    return (
        policy.visible_tasks(actor)
        .select_related("project")
        .prefetch_related(
            Prefetch(
                "depends_on", queryset=Task.objects.only("id", "status"), to_attr="dependency_list"
            )
        )
    )


def task_list(
    *,
    actor: Actor,
    assignee: str | None = None,
    status: str | None = None,
    due_before: dt.date | None = None,
    project: int | None = None,
) -> QuerySet[Task]:
    qs = task_queryset(actor)
    if assignee == "me":
        qs = qs.filter(assignee_id=actor.user_id)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if status:
        qs = qs.filter(status__in=status.split(","))
    if due_before:
        qs = qs.filter(due_date__lt=due_before)
    if project:
        qs = qs.filter(project_id=project)
    return qs.order_by("due_date", "project_id", "position", "id")


def project_tasks(*, actor: Actor, project: StoreProject) -> QuerySet[Task]:
    return task_queryset(actor).filter(project=project).order_by("position", "id")


def task_get(*, actor: Actor, task_id: int) -> Task:
    return policy.get_visible(task_queryset(actor), pk=task_id)


def project_history(*, project: StoreProject) -> tuple[list[StageChange], list[AuditEvent]]:
    changes = list(project.stage_changes.select_related("actor").order_by("at", "id"))
    events = list(
        AuditEvent.objects.filter(
            organization_id=project.organization_id, project_id=project.pk
        ).order_by("seq")
    )
    return changes, events


def comment_list(
    *, project: StoreProject | None = None, task: Task | None = None
) -> QuerySet[Comment]:
    """Comments of a task, or of a project (its own and its tasks'), oldest first."""
    qs = Comment.objects.select_related("author").prefetch_related(
        Prefetch(
            "mention_rows",
            queryset=Mention.objects.only("id", "comment_id", "user_id"),
            to_attr="mention_list",
        )
    )
    qs = qs.filter(task=task) if task is not None else qs.filter(project=project)
    return qs.order_by("created_at", "id")


# --- workbench ---------------------------------------------------------------------------------


def workbench(*, actor: Actor, soon_days: int = 3) -> dict:
    """Everything the home page shows, in a fixed number of queries."""
    from django.db.models import Count

    from linkstar.approvals.selectors import approval_list

    today = org_today(actor.organization)
    projects = policy.visible_projects(actor)
    open_tasks = (
        policy.visible_tasks(actor)
        .exclude(status__in=FINISHED_TASK_STATUSES)
        .filter(project__status="active")
    )
    mine = (
        open_tasks.filter(
            assignee_id=actor.user_id, due_date__lte=today + dt.timedelta(days=soon_days)
        )
        .select_related("project")
        .order_by("due_date", "project_id", "position")[:20]
    )
    by_stage = dict(
        projects.filter(status="active").values_list("stage").annotate(n=Count("id")).order_by()
    )
    funnel_rows = (
        projects.values_list("site__platform__code", "site__platform__name", "stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    funnel: dict[str, dict] = {}
    for code, name, stage, n in funnel_rows:
        row = funnel.setdefault(
            code, {"name": name, "preparing": 0, "under_review": 0, "opened": 0, "rejected": 0}
        )
        bucket = {"needs_info": "under_review", "cancelled": None}.get(stage, stage)
        if bucket:
            row[bucket] += n
    overdue_by_assignee = list(
        open_tasks.filter(due_date__lt=today)
        .values("assignee_id", "assignee__name", "assignee__email")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    activity = list(
        AuditEvent.objects.filter(
            organization_id=actor.organization.pk, project_id__in=projects.values("pk")
        ).order_by("-seq")[:12]
    )
    return {
        "today": today,
        "my_tasks": list(mine),
        "approvals": approval_list(actor=actor, mine=True)[:10],
        "by_stage": by_stage,
        "funnel": funnel,
        "overdue_by_assignee": overdue_by_assignee,
        "activity": activity,
    }
