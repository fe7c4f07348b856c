"""Running an import: queued, then run in the background, all rows or none, audited, its
progress reported outside the write."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.audit.services import record
from linkstar.core import jobs, policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import DomainError, FieldError, InvalidInput
from linkstar.exchange.models import ImportJob, ImportKind, ImportStatus
from linkstar.exchange.progress import Reporter
from linkstar.exchange.projects_import import ProjectSheet, group_by_version
from linkstar.exchange.selectors import ACTIONS, SECRET_TARGETS, secret_columns, shown_cells
from linkstar.exchange.services.entities_members import _apply_simple
from linkstar.exchange.services.mapping import (
    _clean_mapping,
    _column_of,
    fingerprint,
    mapped_rows,
    remember_mapping,
)
from linkstar.exchange.services.tracker_states import apply_imported_states
from linkstar.exchange.services.uploading import PREVIEW_ROWS, _require_open
from linkstar.projects.services import materialise

# --- running ---------------------------------------------------------------------------------


@transaction.atomic
def start_import(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Queue the import to run in the background (refused while rows have errors)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    policy.require(actor, ACTIONS[job.kind], job)
    _require_open(job)
    mapping = _clean_mapping(actor, job, job.mapping)
    job.mapping = mapping
    if job.errors:
        raise InvalidInput(
            [
                FieldError(
                    e["field"],
                    f"{e['column']}: {e['message']}" if e["column"] else e["message"],
                    row=e["row"],
                )
                for e in job.errors[:50]
            ]
        )
    job.status = ImportStatus.QUEUED
    job.processed = 0
    job.phase = ""
    job.save(update_fields=["mapping", "status", "processed", "phase", "updated_at"])
    remember_mapping(actor=actor, job=job)
    job_id = job.pk
    transaction.on_commit(lambda: jobs.enqueue("exchange.run_import", job_id))
    return job


def _actor_for(job: ImportJob) -> Actor | None:
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=job.organization_id, user_id=job.created_by_id)
        .first()
    )
    return Actor.from_membership(membership, via="import") if membership else None


def _progress(job: ImportJob, phase: str, processed: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(phase=phase, processed=processed)


def run_import(*, job_id: int) -> ImportJob:
    """The background run: the rows as the preview resolved them (or, when the file, the
    mapping, a template version or an assignee changed since, every row resolved again), the
    project services' checks of every row (the organization may have changed since the
    preview), then everything created in one transaction, or nothing and the errors named.
    The saving progress is reported outside that transaction (``exchange.progress``)."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return job
    actor = _actor_for(job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), phase="checking", processed=0
    )
    report = Reporter(job.pk, job.total)
    try:
        return _run(job, actor, report)
    finally:
        report.close()


def _run(job: ImportJob, actor: Actor | None, report: Reporter) -> ImportJob:
    try:
        if actor is None:
            raise InvalidInput(
                FieldError("created_by", _("The member who started the import has left."))
            )
        policy.require(actor, ACTIONS[job.kind])
        if job.kind == ImportKind.PROJECTS:
            result = _run_projects(actor, job, report)
        else:
            result = _run_simple(actor, job, report)
    except _Refused as refused:
        return _finish(job, ImportStatus.FAILED, errors=refused.errors)
    except DomainError as exc:
        errors = (
            [
                {"row": e.row, "column": "", "field": e.field, "message": str(e.message)}
                for e in exc.errors
            ]
            if isinstance(exc, InvalidInput)
            else [{"row": None, "column": "", "field": "", "message": exc.detail}]
        )
        return _finish(job, ImportStatus.FAILED, errors=errors)
    return _finish(job, ImportStatus.DONE, result=result)


class _Refused(Exception):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _finish(job: ImportJob, status: str, *, errors=None, result=None) -> ImportJob:
    job.refresh_from_db()
    job.status = status
    job.errors = errors or []
    job.result = result or {}
    job.finished_at = timezone.now()
    job.phase = ""
    if status == ImportStatus.DONE:
        job.processed = job.total
    fields = ["status", "errors", "result", "finished_at", "phase", "processed", "updated_at"]
    if status == ImportStatus.DONE:
        _keep_preview_only(job)
        fields += ["rows", "plan", "preview_only"]
    elif job.kind == ImportKind.MEMBERS:  # passwords are not kept once used
        index = [i for i, t in secret_columns(job).items() if t in SECRET_TARGETS]
        for _number, cells in job.rows:
            for i in index:
                if i < len(cells):
                    cells[i] = None
        fields.append("rows")
    job.save(update_fields=fields)
    return job


def _keep_preview_only(job: ImportJob) -> None:
    """A done import keeps the rows its page shows (the first ones), their guarded columns
    masked and its passwords gone; the rest of the sheet and the preview's plan are dropped."""
    hidden = secret_columns(job)
    job.rows = [
        [number, shown_cells(job, cells, hidden)] for number, cells in job.rows[:PREVIEW_ROWS]
    ]
    job.plan = {}
    job.preview_only = True


def _chunk_rows() -> int:
    return max(1, settings.LINKSTAR_IMPORT_CHUNK_ROWS)


def _run_projects(actor: Actor, job: ImportJob, report) -> dict:
    """Check every row (outside the write, its progress on the job row), then in one
    transaction: the project services' checks of every row, and the projects created chunk by
    chunk with their tracker states, the saving progress reported after each chunk."""

    resolved = None
    if job.plan.get("rows") and job.plan.get("fingerprint") == fingerprint(job):
        sheet = ProjectSheet(actor, job.mapping.get("defaults", {}), load=False)
        resolved = sheet.from_plan(job.plan["rows"], _column_of(job))
    if resolved is None:  # changed since the preview (or never previewed): resolve again
        sheet = ProjectSheet(actor, job.mapping.get("defaults", {}))
        resolved, errors = sheet.check(
            mapped_rows(job), progress=lambda n: _progress(job, "checking", n)
        )
        if errors:
            raise _Refused(_sorted(errors))
    _progress(job, "checking", len(resolved))
    chunk = _chunk_rows()
    with transaction.atomic():
        # In the transaction: what the services check is what is written.
        errors = sheet.check_with_services(resolved)
        if errors:
            raise _Refused(_sorted(errors))
        report("saving", 0)
        today = org_today(actor.organization)
        created = []
        counts = {"tasks_updated": 0, "stages_set": 0}
        for version, group in group_by_version(resolved).items():
            for first in range(0, len(group), chunk):
                part = group[first : first + chunk]
                projects = materialise(
                    actor=actor,
                    version=version,
                    rows=[s.row for s in part],
                    sites=sheet.sites[version],
                    start_date=today,
                    audit_action="project.created",
                )
                pairs = list(zip(projects, part, strict=True))
                for key, n in apply_imported_states(actor=actor, created=pairs).items():
                    counts[key] += n
                created.extend(pairs)
                report("saving", len(created))
        result = {
            "created": len(created),
            "project_ids": [p.pk for p, _s in created],
            **counts,
        }
        _record_completed(
            actor,
            job,
            rows=len(created),
            projects=len(created),
            tasks_updated=counts["tasks_updated"],
            stages_set=counts["stages_set"],
        )
    return result


def _record_completed(actor: Actor, job: ImportJob, **counts: int) -> None:
    """The one audit event of a finished import: its kind, file and counts."""
    changes = {"kind": job.kind, "file_name": job.file_name, **counts}
    record(
        actor=actor,
        action="import.completed",
        obj=job,
        changes={field: {"before": None, "after": value} for field, value in changes.items()},
    )


def _sorted(errors: list[dict]) -> list[dict]:
    return sorted(errors, key=lambda e: e["row"] or 0)


def _run_simple(actor: Actor, job: ImportJob, report) -> dict:
    with transaction.atomic():
        report("saving", 0)
        errors = _apply_simple(actor, job, progress=lambda n: report("saving", n))
        if errors:
            transaction.set_rollback(True)
            raise _Refused(errors)
        _record_completed(actor, job, rows=len(job.rows), **{job.kind: len(job.rows)})
    return {"created": len(job.rows)}
