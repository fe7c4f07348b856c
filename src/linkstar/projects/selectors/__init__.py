"""Reads on projects and tasks, always scoped to what the actor may see, at a fixed query cost."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from linkstar.accounts.models import Membership, Role, User
from linkstar.audit import labels
from linkstar.audit.models import AuditEvent
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.playbooks.models import TemplateVersion, VersionStatus
from linkstar.projects import visibility
from linkstar.projects.models import (
    FINISHED_TASK_STATUSES,
    Comment,
    Mention,
    StageChange,
    StoreProject,
    Task,
)
from linkstar.projects.rules import STARTED


def _overdue_tasks(today: dt.date):
    return Task.objects.filter(project_id=OuterRef("pk"), due_date__lt=today).exclude(
        status__in=FINISHED_TASK_STATUSES
    )


def project_queryset(actor: Actor) -> QuerySet[StoreProject]:
    today = org_today(actor.organization)
    return (
        visibility.visible_projects(actor)
        .select_related("site__platform", "entity", "manager", "template_version")
        .prefetch_related(Prefetch("members", to_attr="member_list"))
        # Late work matters while the project runs: not once it is cancelled or closed.
        .annotate(
            is_overdue=Case(
                When(
                    Q(status="active") & ~Q(stage="cancelled"), then=Exists(_overdue_tasks(today))
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            # The newest published version of the project's template (see ``newer_version``).
            newest_published=Subquery(
                TemplateVersion.objects.filter(
                    template_id=OuterRef("template_version__template_id"),
                    status=VersionStatus.PUBLISHED,
                )
                .order_by("-number")
                .values("number")[:1]
            ),
        )
    )


def newer_version(project: StoreProject) -> int | None:
    """The number of a newer published version of the project's template, when the project is
    active and on an older one (read from ``project_queryset``'s annotation)."""
    newest = getattr(project, "newest_published", None)
    if project.status != "active" or newest is None:
        return None
    return newest if newest > project.template_version.number else None


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
        visibility.visible_tasks(actor)
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
    platform: str | None = None,
    site: str | None = None,
    phase: str | None = None,
    key: str | None = None,
    due_after: dt.date | None = None,
    overdue: bool | None = None,
    queryset: QuerySet[Task] | None = None,
) -> QuerySet[Task]:
    """The tasks the actor may see across projects, filtered: ``assignee`` ``me``, a user id
    or ``none`` (unassigned); ``status`` and ``phase`` may list several, comma-separated; due
    dates in ``[due_after, due_before)``; ``overdue``: open and past due on an active project."""
    qs = task_queryset(actor) if queryset is None else queryset
    if assignee == "me":
        qs = qs.filter(assignee_id=actor.user_id)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if status:
        qs = qs.filter(status__in=status.split(","))
    if due_before:
        qs = qs.filter(due_date__lt=due_before)
    if due_after:
        qs = qs.filter(due_date__gte=due_after)
    if project:
        qs = qs.filter(project_id=project)
    if platform:
        qs = qs.filter(project__site__platform__code=platform)
    if site:
        qs = qs.filter(project__site__code=site)
    if phase:
        qs = qs.filter(phase__in=phase.split(","))
    if key:
        qs = qs.filter(key=key)
    if overdue is not None:
        late = Q(due_date__lt=org_today(actor.organization), project__status="active") & ~Q(
            status__in=FINISHED_TASK_STATUSES
        )
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.order_by("due_date", "project_id", "position", "id")


def project_tasks(*, actor: Actor, project: StoreProject) -> QuerySet[Task]:
    return task_queryset(actor).filter(project=project).order_by("position", "id")


def task_get(*, actor: Actor, task_id: int) -> Task:
    return policy.get_visible(task_queryset(actor), pk=task_id)


def project_history(
    *, project: StoreProject, actor: Actor | None = None
) -> tuple[list[StageChange], list[AuditEvent]]:
    """The project's stage changes and audit events, oldest first; for a client (``actor``),
    without the internal events (``audit.labels.INTERNAL_ACTIONS``: store credentials, revealed
    secrets, upload links), nor those of comments not shown to the client (their changes hold the
    text) (issue 15 §1)."""
    changes = list(project.stage_changes.select_related("actor").order_by("at", "id"))
    qs = AuditEvent.objects.filter(organization_id=project.organization_id, project_id=project.pk)
    if actor is not None and visibility.is_client(actor):
        for prefix in sorted(labels.INTERNAL_ACTIONS):
            qs = qs.exclude(action__startswith=prefix)
        # Only the shared comments' events: a comment since deleted stays left out too.
        shared = (
            Comment.objects.filter(project=project, for_client=True)
            .annotate(ref=Cast("pk", CharField()))
            .values("ref")
        )
        qs = qs.exclude(Q(object_type="comment") & ~Q(object_id__in=shared))
    return changes, list(qs.select_related("actor").order_by("seq"))


def comment_list(
    *, actor: Actor | None, project: StoreProject | None = None, task: Task | None = None
) -> QuerySet[Comment]:
    """Comments of a task, or of a project (its own and its tasks'), oldest first; for a client
    (``actor``), only those shown to the client. ``actor=None``: every comment (a staff export)."""
    qs = Comment.objects.select_related("author").prefetch_related(
        Prefetch(
            "mention_rows",
            queryset=Mention.objects.only("id", "comment_id", "user_id"),
            to_attr="mention_list",
        )
    )
    qs = qs.filter(task=task) if task is not None else qs.filter(project=project)
    if actor is not None and visibility.is_client(actor):
        qs = qs.filter(for_client=True)
    return qs.order_by("created_at", "id")


def client_messages(*, actor: Actor, limit: int = 10) -> list[Comment]:
    """The latest comments shown to the client on the projects the actor sees (the agency's
    messages and the client's own), newest first."""
    return list(
        Comment.objects.filter(
            organization_id=actor.organization.pk,
            for_client=True,
            project__in=visibility.visible_projects(actor).values("pk"),
        )
        .select_related("author", "project", "task")
        .order_by("-created_at", "-id")[:limit]
    )


# --- workbench ---------------------------------------------------------------------------------


def workbench(*, actor: Actor, soon_days: int = 3) -> dict:
    """Everything the home page shows, in a fixed number of queries."""

    today = org_today(actor.organization)
    projects = visibility.visible_projects(actor)
    open_tasks = (
        visibility.visible_tasks(actor)
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
    # The staff's workload and activity are internal: a client sees neither (issue 15 §1).
    internal = actor.is_admin or actor.role != Role.CLIENT
    overdue_by_assignee: list = []
    activity: list = []
    if internal:
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
        "by_stage": by_stage,
        "funnel": funnel,
        "internal": internal,
        "overdue_by_assignee": overdue_by_assignee,
        "activity": activity,
    }


# --- project page, task page, my tasks (web) -----------------------------------------------------

_DEPENDENCY_FIELDS = ("id", "key", "title", "title_en", "status", "position", "project_id")


def _plan_queryset(actor: Actor) -> QuerySet[Task]:
    return (
        visibility.visible_tasks(actor)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "depends_on",
                queryset=Task.objects.only(*_DEPENDENCY_FIELDS).order_by("position", "id"),
                to_attr="dependency_list",
            )
        )
    )


def _mark_waiting(tasks: list[Task]) -> list[Task]:
    """``waiting_on``: the open tasks an open task depends on (it cannot start or finish)."""
    for task in tasks:
        task.waiting_on = (
            [d for d in task.dependency_list if d.status not in FINISHED_TASK_STATUSES]
            if task.is_open
            else []
        )
    return tasks


def project_plan(*, actor: Actor, project: StoreProject) -> list[Task]:
    """The project's tasks in plan order, with assignee, dependencies (``dependency_list``) and
    what each waits on (``waiting_on``): three queries whatever the size of the plan."""
    return _mark_waiting(list(_plan_queryset(actor).filter(project=project).order_by("position")))


def plan_task(*, actor: Actor, task_id: int) -> Task:
    """One task as the project page's row shows it."""
    return _mark_waiting([policy.get_visible(_plan_queryset(actor), pk=task_id)])[0]


def days_late(tasks: list[Task], today: dt.date) -> int:
    """How many days the latest due date of the open tasks is past (0 when on time)."""
    due = [t.due_date for t in tasks if t.is_open and t.due_date is not None]
    if not due or max(due) >= today:
        return 0
    return (today - max(due)).days


def project_team(*, project: StoreProject) -> list:
    """The manager and the members with their organization roles (one query)."""

    members = getattr(project, "member_list", None)
    if members is None:
        members = list(project.members.all())
    ids = {u.pk for u in members} | ({project.manager_id} if project.manager_id else set())
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            organization_id=project.organization_id, user_id__in=ids
        ).select_related("user")
    }
    team = []
    if project.manager_id in memberships:
        team.append({"membership": memberships[project.manager_id], "is_manager": True})
    for user in sorted(members, key=lambda u: (u.name or u.email).lower()):
        if user.pk in memberships and user.pk != project.manager_id:
            team.append({"membership": memberships[user.pk], "is_manager": False})
    return team


def task_page(*, actor: Actor, task_id: int) -> Task:
    """A task with its project (site, entity, manager, members), assignee and dependencies."""
    qs = (
        visibility.visible_tasks(actor)
        .select_related(
            "assignee",
            "project__site__platform",
            "project__entity",
            "project__manager",
            "project__organization",
        )
        .prefetch_related(
            Prefetch(
                "depends_on",
                queryset=Task.objects.only(*_DEPENDENCY_FIELDS).order_by("position", "id"),
                to_attr="dependency_list",
            ),
            Prefetch(
                "dependants",
                queryset=Task.objects.only(*_DEPENDENCY_FIELDS).order_by("position", "id"),
                to_attr="dependant_list",
            ),
            Prefetch("project__members", to_attr="member_list"),
        )
    )
    return _mark_waiting([policy.get_visible(qs, pk=task_id)])[0]


def task_history(*, task: Task, approval_ids: list[int]) -> list[AuditEvent]:
    """The audit events of the task and of its approval requests, oldest first."""
    return list(
        AuditEvent.objects.filter(organization_id=task.organization_id)
        .filter(
            Q(object_type="task", object_id=str(task.pk))
            | Q(object_type="approvalrequest", object_id__in=[str(i) for i in approval_ids])
        )
        .select_related("actor")
        .order_by("seq")
    )


def my_open_tasks(*, actor: Actor, status: str | None = None) -> QuerySet[Task]:
    """The open tasks assigned to the actor on active projects, the most overdue first (tasks
    without a due date last)."""

    qs = (
        visibility.visible_tasks(actor)
        .filter(assignee_id=actor.user_id, project__status="active")
        .exclude(status__in=FINISHED_TASK_STATUSES)
        .select_related("project__site")
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(F("due_date").asc(nulls_last=True), "project_id", "position", "id")


def users_by_id(*, actor: Actor, ids) -> dict:
    """Members of the actor's organization by user id (for names in histories), one query."""

    ids = {int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}
    if not ids:
        return {}
    return {
        u.pk: u
        for u in User.objects.filter(
            # an erased person (no membership left, nothing personal) reads "Erased user"
            Q(memberships__organization_id=actor.organization.pk)
            | Q(email__startswith="erased-", email__endswith="@invalid"),
            pk__in=ids,
        ).distinct()
    }


def dependants_map(project_id: int) -> dict[int, list[int]]:
    """Per task of the project, the ids of the tasks depending on it directly. One query."""
    edges = Task.depends_on.through.objects.filter(from_task__project_id=project_id)
    after: dict[int, list[int]] = {}
    for dependant, dependency in edges.values_list("from_task_id", "to_task_id"):
        after.setdefault(dependency, []).append(dependant)
    return after


def reachable_after(root: int, after: dict[int, list[int]]) -> set[int]:
    """The ids of the tasks depending on ``root``, directly or through others."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        for nxt in after.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def started_dependants(task: Task) -> list[Task]:
    """The tasks after ``task`` in its project's plan (those depending on it, directly or through
    others) that have started: in progress, awaiting approval or done. Plan order. Two queries."""
    seen = reachable_after(task.pk, dependants_map(task.project_id))
    return list(
        Task.objects.filter(pk__in=seen, status__in=STARTED)
        .select_related("assignee")
        .order_by("position", "pk")
    )
