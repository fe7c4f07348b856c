"""Exports (.xlsx/.csv), project archives (.zip, built in the background) and the calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from linkstar.accounts.web import actor_for
from linkstar.archives import selectors, services
from linkstar.archives.downloads import archive_response, export_response
from linkstar.archives.models import ArchiveJob, ArchiveStatus
from linkstar.archives.schemas import ArchiveIn, ArchiveList, ArchiveOut, CalendarFeedOut
from linkstar.core.api import ERRORS, Paging, page
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.docrequests.models import RequestStatus
from linkstar.projects.api import ProjectFilters

router = Router(tags=["exports and archives"])

ERRORS_410 = {**ERRORS, 410: ERRORS[404]}


def _binary(content_type: str, description: str) -> dict:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TaskExportQuery(ProjectFilters):
    project: list[int] | None = Field(
        None, description="project ids (repeat the parameter); without it, the filters apply"
    )


def archive_out(job: ArchiveJob, *, org: str) -> dict:
    ready = job.status == ArchiveStatus.DONE
    return {
        "id": job.pk,
        "status": job.status,
        "project_ids": job.project_ids,
        "filters": job.filters or None,
        "processed": job.processed,
        "total": job.total,
        "percent": job.percent,
        "requested_by": job.requested_by_id,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "file_name": job.file_name,
        "size": job.size,
        "sha256": job.sha256,
        "file_count": job.file_count,
        "error": job.error,
        "download_url": (
            reverse("api:archive_download", kwargs={"org": org, "archive_id": job.pk})
            if ready
            else None
        ),
    }


# --- exports ------------------------------------------------------------------------------------


def _project_export(request, org: str, filters: ProjectFilters, fmt: str, with_tasks: bool):
    actor = actor_for(request, org)
    return export_response(
        actor=actor,
        kind="projects",
        fmt=fmt,
        filters=filters.model_dump(),
        with_tasks=with_tasks,
    )


@router.get(
    "/orgs/{org}/exports/projects.xlsx",
    response={200: None, **ERRORS},
    url_name="export_projects_xlsx",
    openapi_extra=_binary(XLSX, "The project list (sheet Projects; with tasks=true also Tasks)."),
)
def export_projects_xlsx(request, org: str, filters: Query[ProjectFilters], tasks: bool = False):
    """The project list with the list's filters, as a workbook: typed cells, dates as dates,
    frozen header; sensitive numbers masked. ``tasks=true`` adds a Tasks sheet."""
    return _project_export(request, org, filters, "xlsx", tasks)


@router.get(
    "/orgs/{org}/exports/projects.csv",
    response={200: None, **ERRORS},
    url_name="export_projects_csv",
    openapi_extra=_binary("text/csv", "The project list, UTF-8 with BOM."),
)
def export_projects_csv(request, org: str, filters: Query[ProjectFilters]):
    return _project_export(request, org, filters, "csv", False)


def _task_export(request, org: str, query: TaskExportQuery, fmt: str):
    actor = actor_for(request, org)
    data = query.model_dump()
    project_ids = data.pop("project")
    return export_response(
        actor=actor, kind="tasks", fmt=fmt, filters=data, project_ids=project_ids
    )


@router.get(
    "/orgs/{org}/exports/tasks.xlsx",
    response={200: None, **ERRORS},
    url_name="export_tasks_xlsx",
    openapi_extra=_binary(XLSX, "The tasks of the chosen projects (sheet Tasks)."),
)
def export_tasks_xlsx(request, org: str, query: Query[TaskExportQuery]):
    """The tasks of ``?project=<id>&project=<id>`` (or of the projects the filters match)."""
    return _task_export(request, org, query, "xlsx")


@router.get(
    "/orgs/{org}/exports/tasks.csv",
    response={200: None, **ERRORS},
    url_name="export_tasks_csv",
    openapi_extra=_binary("text/csv", "The tasks of the chosen projects, UTF-8 with BOM."),
)
def export_tasks_csv(request, org: str, query: Query[TaskExportQuery]):
    return _task_export(request, org, query, "csv")


class RequestExportQuery(Schema):
    status: RequestStatus | None = None
    project: int | None = None


def _request_export(request, org: str, query: RequestExportQuery, fmt: str):
    actor = actor_for(request, org)
    return export_response(
        actor=actor, kind="requests", fmt=fmt, filters=query.model_dump(exclude_none=True)
    )


@router.get(
    "/orgs/{org}/exports/document-requests.xlsx",
    response={200: None, **ERRORS},
    url_name="export_requests_xlsx",
    openapi_extra=_binary(XLSX, "The document requests, one row per requested document."),
)
def export_requests_xlsx(request, org: str, query: Query[RequestExportQuery]):
    """The items of the document requests the caller sees (``?status=&project=``), one row per
    requested document with its request's project, due date and state."""
    return _request_export(request, org, query, "xlsx")


@router.get(
    "/orgs/{org}/exports/document-requests.csv",
    response={200: None, **ERRORS},
    url_name="export_requests_csv",
    openapi_extra=_binary("text/csv", "The document requests, UTF-8 with BOM."),
)
def export_requests_csv(request, org: str, query: Query[RequestExportQuery]):
    return _request_export(request, org, query, "csv")


# --- archives -----------------------------------------------------------------------------------


@router.post("/orgs/{org}/archives", response={202: ArchiveOut, **ERRORS})
def archive_create(request, org: str, payload: ArchiveIn):
    """Queue a project archive (.zip) of ``project_ids`` or of the projects ``filters`` match;
    poll ``GET /orgs/{org}/archives/{id}`` for its progress."""
    actor = actor_for(request, org)
    if payload.project_ids is None and payload.filters is None:
        raise InvalidInput(FieldError("project_ids", "send project_ids or filters"))
    filters = payload.filters.model_dump(exclude_none=True) if payload.filters is not None else None
    job = services.request_archive(actor=actor, project_ids=payload.project_ids, filters=filters)
    return Status(202, archive_out(job, org=org))


@router.get("/orgs/{org}/archives", response={200: ArchiveList, **ERRORS})
def archive_list(request, org: str, paging: Query[Paging]):
    """My archives (an administrator: every archive of the organization), newest first."""
    actor = actor_for(request, org)
    return page(
        selectors.archive_list(actor=actor),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda jobs: [archive_out(j, org=org) for j in jobs],
    )


@router.get("/orgs/{org}/archives/{archive_id}", response={200: ArchiveOut, **ERRORS})
def archive_get(request, org: str, archive_id: int):
    actor = actor_for(request, org)
    return archive_out(selectors.archive_get(actor=actor, job_id=archive_id), org=org)


@router.get(
    "/orgs/{org}/archives/{archive_id}/download",
    response={200: None, **ERRORS_410},
    url_name="archive_download",
    openapi_extra=_binary("application/zip", "The archive (.zip with manifest.json)."),
)
def archive_download(request, org: str, archive_id: int):
    """The requester or an administrator, while they still see every project in it; 409
    ``archive_not_ready`` while it is being built, 410 ``archive_expired`` after it expired."""
    actor = actor_for(request, org)
    job = selectors.archive_get(actor=actor, job_id=archive_id)
    return archive_response(actor=actor, job=job)


# --- calendar feed ------------------------------------------------------------------------------


def _feed_out(feed, raw: str | None = None) -> dict:
    if feed is None:
        return {"active": False}
    return {
        "active": True,
        "prefix": feed.prefix,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
        "url": (
            settings.LINKSTAR_BASE_URL + reverse("calendar_feed", kwargs={"token": raw})
            if raw
            else None
        ),
    }


@router.get("/orgs/{org}/calendar-feed", response={200: CalendarFeedOut, **ERRORS})
def calendar_feed_get(request, org: str):
    """Whether I have a calendar feed in this organization (its address is not shown again)."""
    actor = actor_for(request, org)
    return _feed_out(selectors.active_feed(actor=actor))


@router.post("/orgs/{org}/calendar-feed", response={201: CalendarFeedOut, **ERRORS})
def calendar_feed_create(request, org: str):
    """A new secret iCalendar address of my due dates here; the previous one stops working."""
    actor = actor_for(request, org)
    feed, raw = services.create_calendar_feed(actor=actor)
    return Status(201, _feed_out(feed, raw))


@router.delete("/orgs/{org}/calendar-feed", response={204: None, **ERRORS})
def calendar_feed_delete(request, org: str):
    """Revoke my feed: its address answers 404 from now on."""
    actor = actor_for(request, org)
    services.revoke_calendar_feed(actor=actor)
    return Status(204, None)
