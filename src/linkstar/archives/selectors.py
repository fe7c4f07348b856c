"""Reads of the archives app, scoped to the actor, at a fixed query cost."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from linkstar.archives.models import ArchiveJob, CalendarFeed
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.docrequests.models import RequestItem, RequestUpload
from linkstar.docrequests.selectors import visible_requests
from linkstar.projects import selectors as project_selectors
from linkstar.projects import visibility
from linkstar.projects.models import FINISHED_TASK_STATUSES, StoreProject, Task

ITERATOR_CHUNK = 2000


# --- exports ------------------------------------------------------------------------------------


def export_projects(*, actor: Actor, filters: dict) -> QuerySet[StoreProject]:
    """The project list as its page shows it (same filters, same order), with what the export's
    columns read joined in, and no per-row prefetch (so ``iterator()`` is one query)."""
    return (
        project_selectors.project_list(actor=actor, **filters)
        .select_related("template_version__template")
        .prefetch_related(None)
    )


def _task_rows(actor: Actor) -> QuerySet[Task]:
    return (
        visibility.visible_tasks(actor)
        .select_related("project", "assignee")
        .order_by("project__code", "project_id", "position", "id")
    )


def export_tasks(
    *, actor: Actor, project_ids: list[int] | None = None, filters: dict | None = None
) -> QuerySet[Task]:
    """The tasks of the given projects, or of the projects the list filters match."""
    qs = _task_rows(actor)
    if project_ids is not None:
        return qs.filter(project_id__in=project_ids)
    projects = project_selectors.project_list(actor=actor, **(filters or {}))
    return qs.filter(project_id__in=projects.order_by().values("pk"))


def dependency_keys(tasks: QuerySet[Task]) -> dict[int, list[str]]:
    """``{task id: [keys of the tasks it depends on]}`` for a task queryset, in one query."""
    through = Task.depends_on.through
    out: dict[int, list[str]] = {}
    rows = (
        through.objects.filter(from_task_id__in=tasks.order_by().values("pk"))
        .order_by("from_task_id", "to_task__position")
        .values_list("from_task_id", "to_task__key")
    )
    for task_id, key in rows.iterator(ITERATOR_CHUNK):
        out.setdefault(task_id, []).append(key)
    return out


def stream(qs: QuerySet) -> Iterator:
    return qs.iterator(ITERATOR_CHUNK)


def export_request_items(*, actor: Actor, filters: dict) -> list:
    """The items of the document requests the actor sees (``filters``: ``status``,
    ``project``), request by request; three queries."""
    requests = visible_requests(actor)
    if filters.get("status"):
        requests = requests.filter(status=filters["status"])
    if filters.get("project"):
        requests = requests.filter(project_id=filters["project"])
    return list(
        RequestItem.objects.filter(request__in=requests.values("pk"))
        .select_related(
            "request__project", "request__entity", "request__requested_by", "document_type"
        )
        .prefetch_related(
            Prefetch(
                "uploads",
                queryset=RequestUpload.objects.only("id", "item_id"),
                to_attr="upload_list",
            )
        )
        .order_by("-request__created_at", "request_id", "position", "id")
    )


# --- archives -----------------------------------------------------------------------------------


def archive_list(*, actor: Actor) -> QuerySet[ArchiveJob]:
    """The actor's own archives; an administrator sees every archive of the organization."""
    qs = ArchiveJob.objects.filter(organization_id=actor.organization.pk).select_related(
        "requested_by"
    )
    if not actor.is_admin:
        qs = qs.filter(requested_by_id=actor.user_id)
    return qs.order_by("-created_at", "-id")


def archive_get(*, actor: Actor, job_id: int) -> ArchiveJob:
    return policy.get_visible(archive_list(actor=actor), pk=job_id)


def projects_by_id(*, actor: Actor, ids) -> dict[int, StoreProject]:
    """Codes and names of visible projects, for the archive list (one query)."""
    return {
        p.pk: p
        for p in visibility.visible_projects(actor)
        .filter(pk__in=list(ids))
        .only("id", "code", "store_name", "organization_id")
    }


# --- calendar feed ------------------------------------------------------------------------------


def active_feed(*, actor: Actor) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.filter(
            organization_id=actor.organization.pk,
            user_id=actor.user_id,
            revoked_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )


def feed_or_404(*, actor: Actor) -> CalendarFeed:
    feed = active_feed(actor=actor)
    if feed is None:
        raise NotFound()
    return feed


def calendar_tasks(*, actor: Actor) -> QuerySet[Task]:
    """Open tasks assigned to the actor, with a due date, in active projects they still see."""
    return (
        visibility.visible_tasks(actor)
        .filter(assignee_id=actor.user_id, project__status="active", due_date__isnull=False)
        .exclude(status__in=FINISHED_TASK_STATUSES)
        .exclude(project__stage="cancelled")
        .select_related("project__site")
        .order_by("due_date", "project_id", "position", "id")
    )
