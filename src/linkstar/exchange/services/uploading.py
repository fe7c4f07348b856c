"""Upload, mapping and preview of an import: the tracker read, its mapping guessed or changed,
every row checked (nothing imported yet)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.exchange.models import ImportJob, ImportKind, ImportStatus
from linkstar.exchange.projects_import import ProjectSheet, to_plan
from linkstar.exchange.readers import read_table
from linkstar.exchange.selectors import ACTIONS
from linkstar.exchange.services.entities_members import _dry_run
from linkstar.exchange.services.mapping import (
    _clean_mapping,
    _column_of,
    fingerprint,
    guess_mapping,
    mapped_rows,
    remember_mapping,
)

PREVIEW_ROWS = 100


def max_rows() -> int:
    return settings.LINKSTAR_IMPORT_MAX_ROWS


def _kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise InvalidInput(
            FieldError(
                "kind", _("Kind must be one of %(v)s.") % {"v": ", ".join(ImportKind.values)}
            )
        )
    return kind


# --- upload, mapping, preview ---------------------------------------------------------------------


@transaction.atomic
def create_import(*, actor: Actor, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Read an uploaded tracker, guess its mapping and check every row (a preview: nothing is
    imported yet). Managers and admins import projects and entities; admins members."""
    kind = _kind(kind)
    policy.require(actor, ACTIONS[kind])
    if not data:
        raise InvalidInput(FieldError("file", _("The file is empty.")))
    if len(data) > settings.LINKSTAR_IMPORT_MAX_BYTES:
        raise InvalidInput(
            FieldError(
                "file",
                _("The file is larger than %(n)d MB.")
                % {"n": settings.LINKSTAR_IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        )
    table = read_table(file_name, data)
    if not table.rows:
        raise InvalidInput(FieldError("file", _("The sheet has a header but no rows.")))
    if len(table.rows) > max_rows():
        raise InvalidInput(
            FieldError("file", _("At most %(n)d rows per import.") % {"n": max_rows()})
        )
    job = ImportJob.objects.create(
        organization=actor.organization,
        kind=kind,
        created_by_id=actor.user_id,
        file_name=(file_name or "upload")[:255],
        sheet_name=table.sheet_name[:255],
        header_row=table.header_row,
        headers=table.headers,
        rows=table.rows,
        total=len(table.rows),
    )
    job.mapping = guess_mapping(actor, kind, table.headers)
    job.errors = _preview_errors(actor, job)
    job.save(update_fields=["mapping", "errors", "plan"])
    record(
        actor=actor,
        action="import.uploaded",
        obj=job,
        changes={
            "kind": {"before": None, "after": kind},
            "file_name": {"before": None, "after": job.file_name},
            "rows": {"before": None, "after": job.total},
        },
    )
    return job


def _preview_errors(actor: Actor, job: ImportJob) -> list[dict]:
    try:
        mapping = _clean_mapping(actor, job, job.mapping)
    except InvalidInput as exc:
        return [
            {"row": None, "column": "", "field": e.field, "message": str(e.message)}
            for e in exc.errors
        ]
    job.mapping = mapping
    return check_rows(actor, job)[1]


def _require_open(job: ImportJob) -> None:
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        raise Conflict(_("This import has already been started."), code="import_started")


@transaction.atomic
def update_import_mapping(*, actor: Actor, job: ImportJob, mapping: dict) -> ImportJob:
    """Change the columns' fields and the defaults; the rows are checked again and the mapping
    is remembered for the organization's next upload of this kind."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    policy.require(actor, ACTIONS[job.kind], job)
    _require_open(job)
    before = job.mapping
    job.mapping = _clean_mapping(actor, job, mapping)
    job.status = ImportStatus.UPLOADED
    job.errors = check_rows(actor, job)[1]
    job.save(update_fields=["mapping", "errors", "plan", "status", "updated_at"])
    remember_mapping(actor=actor, job=job)
    record(
        actor=actor,
        action="import.mapped",
        obj=job,
        changes={"mapping": {"before": before, "after": job.mapping}},
    )
    return job


def check_rows(actor: Actor, job: ImportJob, progress=None):
    """Every error of the rows under the current mapping (sheet row, column, message); for
    projects also the resolved rows. Writes nothing."""
    if job.kind == ImportKind.PROJECTS:
        sheet = ProjectSheet(actor, job.mapping.get("defaults", {}))
        resolved, errors = sheet.check(mapped_rows(job), progress=progress)
        job.plan = {}
        if not errors:
            # kept before the services' checks, which fill in defaults of the acting member
            plan = to_plan(resolved, sheet.latest_ids())
            errors = sheet.check_with_services(resolved)
            if not errors:
                job.plan = {"fingerprint": fingerprint(job), "rows": plan}
        columns = _column_of(job)
        for e in errors:
            if not e["column"]:
                e["column"] = columns.get(e["field"], "")
        errors.sort(key=lambda e: e["row"] or 0)
        return resolved, errors, sheet
    errors = _dry_run(actor, job)
    return None, errors, None
