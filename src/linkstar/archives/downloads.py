"""HTTP answers of the archives app (shared by the pages and the API): exports, archive files."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import pgettext

from linkstar.archives import exports, selectors
from linkstar.archives.models import ArchiveJob
from linkstar.archives.services import open_archive
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.documents.downloads import content_disposition

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _private(response: FileResponse, name: str) -> FileResponse:
    response["Content-Disposition"] = content_disposition(name, fallback=name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_response(
    *,
    actor: Actor,
    kind: str,
    fmt: str,
    filters: dict,
    project_ids: list[int] | None = None,
    with_tasks: bool = False,
) -> FileResponse:
    """``kind`` "projects", "tasks" or "requests" (the items of the document requests the actor
    sees, one row each), ``fmt`` "xlsx" or "csv". A projects workbook may carry a second sheet
    with the tasks of the same projects (``with_tasks``)."""
    today = org_today(actor.organization)
    sheets: list[exports.Sheet] = []
    dependencies: dict = {}
    if kind == "requests":
        sheets.append(
            exports.Sheet(
                pgettext("export sheet", "Document requests"),
                exports.REQUEST_ITEM_COLUMNS,
                selectors.export_request_items(actor=actor, filters=filters),
            )
        )
    if kind == "projects":
        projects = selectors.export_projects(actor=actor, filters=filters)
        sheets.append(
            exports.Sheet(
                pgettext("export sheet", "Projects"),
                exports.PROJECT_COLUMNS,
                selectors.stream(projects),
            )
        )
    if kind == "tasks" or (with_tasks and fmt == "xlsx"):
        tasks = selectors.export_tasks(actor=actor, project_ids=project_ids, filters=filters)
        dependencies = selectors.dependency_keys(tasks)
        sheets.append(
            exports.Sheet(
                pgettext("export sheet", "Tasks"), exports.TASK_COLUMNS, selectors.stream(tasks)
            )
        )
    ctx = exports.context_for(
        actor.organization, today=today, dependencies=dependencies, viewer=actor
    )
    out = exports.spool()
    if fmt == "xlsx":
        exports.write_xlsx(sheets, ctx, out)
    else:
        exports.write_csv(sheets[0], ctx, out)
    size = out.tell()
    out.seek(0)
    name = f"linkstar-{kind}-{actor.organization.slug}-{today:%Y%m%d}.{fmt}"
    response = FileResponse(out, content_type=CONTENT_TYPES[fmt])
    response["Content-Length"] = str(size)
    return _private(response, name)


def archive_response(*, actor: Actor, job: ArchiveJob) -> FileResponse:
    handle = open_archive(actor=actor, job=job)
    response = FileResponse(handle, content_type="application/zip")
    response["Content-Length"] = str(job.size)
    response["X-Checksum-SHA256"] = job.sha256
    return _private(response, job.file_name or f"linkstar-archive-{job.pk}.zip")
