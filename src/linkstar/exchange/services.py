"""Imports (导入): upload → mapping (guessed, remembered per organization and kind) → preview
with every row's errors → run in the background, all rows or none, audited.

Projects are created by the project services' batch machinery (the same checks, codes, tasks,
audit events and risk detection as the batch wizard); the tracker's stages and per-task
status/assignee/due columns are then applied by :func:`apply_imported_states`. Entities go
through ``entities.services.create_entity`` and members through ``accounts.services.add_member``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.audit.services import Entry, diff, record, record_many
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, DomainError, FieldError, InvalidInput
from linkstar.exchange.fields import FIELDS, IGNORE, norm, synonyms, task_column
from linkstar.exchange.models import ImportJob, ImportKind, ImportMapping, ImportStatus
from linkstar.exchange.progress import Reporter
from linkstar.exchange.readers import read_table
from linkstar.exchange.selectors import ACTIONS

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


# --- mapping ------------------------------------------------------------------------------------


def guess_mapping(actor: Actor, kind: str, headers: list[str]) -> dict:
    """Column index → field from the organization's remembered mapping, else the header words;
    task columns of project trackers by task title or key (+ status/负责人/截止)."""
    remembered = ImportMapping.objects.filter(organization=actor.organization, kind=kind).first()
    known = remembered.columns if remembered else {}
    defaults = dict(remembered.defaults) if remembered else {}
    words = synonyms(kind)
    tasks = None
    columns: dict[str, str] = {}
    used: set[str] = set()
    for i, header in enumerate(headers):
        key = norm(header)
        if not key:
            continue
        target = known.get(key)
        if target is None:
            target = words.get(key)
        if target is None and kind == ImportKind.PROJECTS:
            if tasks is None:
                from linkstar.exchange.projects_import import ProjectSheet

                tasks = ProjectSheet(actor, defaults).task_names()
            target = task_column(header, tasks)
        if target and target != IGNORE and target not in used:
            columns[str(i)] = target
            used.add(target)
    return {"columns": columns, "defaults": defaults}


def _allowed_fields(kind: str) -> set[str]:
    return {f.name for f in FIELDS[kind]}


def _clean_mapping(actor: Actor, job: ImportJob, mapping: dict) -> dict:
    columns = mapping.get("columns") or {}
    defaults = mapping.get("defaults") or {}
    allowed = _allowed_fields(job.kind)
    errors = []
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for index, target in columns.items():
        try:
            position = int(index)
        except (TypeError, ValueError):
            position = -1
        if not 0 <= position < len(job.headers):
            errors.append(FieldError("columns", _("There is no column %(i)s.") % {"i": index}))
            continue
        if not target:
            continue
        is_task = job.kind == ImportKind.PROJECTS and str(target).startswith("task:")
        if is_task:
            parts = str(target).split(":")
            if len(parts) != 3 or parts[2] not in ("status", "assignee", "due") or not parts[1]:
                is_task = False
        if target not in allowed and not is_task:
            errors.append(
                FieldError(
                    "columns",
                    _("Column %(c)r: unknown field %(f)r.")
                    % {"c": job.headers[position], "f": target},
                )
            )
            continue
        if target in used:
            errors.append(
                FieldError(
                    "columns",
                    _("Columns %(a)r and %(b)r both fill %(f)s.")
                    % {"a": used[target], "b": job.headers[position], "f": target},
                )
            )
            continue
        used[target] = job.headers[position]
        cleaned[str(position)] = target
    clean_defaults: dict = {}
    if job.kind == ImportKind.PROJECTS:
        template_id = defaults.get("template_id")
        if template_id not in (None, ""):
            from linkstar.playbooks.selectors import visible_templates

            try:
                template_id = int(template_id)
            except (TypeError, ValueError):
                template_id = None
            if template_id is None or not visible_templates(actor).filter(pk=template_id).exists():
                errors.append(FieldError("template_id", _("Unknown template.")))
            else:
                clean_defaults["template_id"] = template_id
        if defaults.get("start_date"):
            try:
                clean_defaults["start_date"] = dt.date.fromisoformat(
                    str(defaults["start_date"])
                ).isoformat()
            except ValueError:
                errors.append(FieldError("start_date", _("Enter a date as YYYY-MM-DD.")))
    required = {f.name for f in FIELDS[job.kind] if f.required}
    if job.kind == ImportKind.PROJECTS:
        required -= {"site", "entity"}  # a template default stands for the site; entity by number
        if "entity" not in used and "entity_number" not in used:
            errors.append(FieldError("columns", _("Choose the column of the seller entity.")))
    missing = [f for f in sorted(required) if f not in used]
    for name in missing:
        errors.append(
            FieldError(
                "columns", _("Choose the column of %(f)s.") % {"f": _field_label(job.kind, name)}
            )
        )
    if errors:
        raise InvalidInput(errors)
    return {"columns": cleaned, "defaults": clean_defaults}


def _field_label(kind: str, name: str) -> str:
    from linkstar.exchange.fields import field_label

    return field_label(kind, name)


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


def remember_mapping(*, actor: Actor, job: ImportJob) -> None:
    columns = {
        norm(job.headers[int(i)]): target for i, target in job.mapping.get("columns", {}).items()
    }
    # Headers the person left unmapped are remembered as "ignore", so the guess does not return.
    for i, header in enumerate(job.headers):
        if str(i) not in job.mapping.get("columns", {}) and norm(header):
            columns.setdefault(norm(header), IGNORE)
    ImportMapping.objects.update_or_create(
        organization=actor.organization,
        kind=job.kind,
        defaults={"columns": columns, "defaults": job.mapping.get("defaults", {})},
    )


def mapped_rows(job: ImportJob) -> list[tuple[int, dict]]:
    """(sheet row, {field: (value, header)}) for every row."""
    columns = [(int(i), target) for i, target in (job.mapping.get("columns") or {}).items()]
    out = []
    for number, cells in job.rows:
        values = {}
        for i, target in columns:
            value = cells[i] if i < len(cells) else None
            values[target] = (value, job.headers[i])
        out.append((number, values))
    return out


def fingerprint(job: ImportJob) -> str:
    """What the preview checked: the parsed rows and the mapping."""
    blob = json.dumps([job.rows, job.mapping], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _column_of(job: ImportJob) -> dict[str, str]:
    return {target: job.headers[int(i)] for i, target in (job.mapping.get("columns") or {}).items()}


def check_rows(actor: Actor, job: ImportJob, progress=None):
    """Every error of the rows under the current mapping (sheet row, column, message); for
    projects also the resolved rows. Writes nothing."""
    if job.kind == ImportKind.PROJECTS:
        from linkstar.exchange.projects_import import ProjectSheet, to_plan

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


class _Rollback(Exception):
    pass


def _dry_run(actor: Actor, job: ImportJob) -> list[dict]:
    """Entities and members are checked by running their services and rolling back."""
    errors: list[dict] = []
    try:
        with transaction.atomic():
            errors = _apply_simple(actor, job)
            raise _Rollback()
    except _Rollback:
        pass
    return errors


def _apply_simple(actor: Actor, job: ImportJob, progress=None) -> list[dict]:
    """Run the entity or member service for each row (each in a savepoint), collecting the
    errors of every row; the caller rolls back when there is any."""
    from linkstar.accounts.services import add_member
    from linkstar.entities.services import create_entity
    from linkstar.exchange.fields import parse_date, parse_role

    errors: list[dict] = []
    columns = _column_of(job)
    entities = None
    for n, (number, values) in enumerate(mapped_rows(job)):
        fields = {k: v for k, (v, _h) in values.items() if v not in (None, "")}

        def fail(name, message, _number=number):
            errors.append(
                {
                    "row": _number,
                    "column": columns.get(name, ""),
                    "field": name,
                    "message": str(message),
                }
            )

        try:
            with transaction.atomic():
                if job.kind == ImportKind.ENTITIES:
                    if "licence_expiry" in fields:
                        try:
                            fields["licence_expiry"] = parse_date(fields["licence_expiry"])
                        except (ValueError, OverflowError):
                            fail(
                                "licence_expiry",
                                _("%(v)r is not a date.") % {"v": fields["licence_expiry"]},
                            )
                            continue
                    text = {k: str(v) for k, v in fields.items() if k != "licence_expiry"}
                    if "licence_expiry" in fields:
                        text["licence_expiry"] = fields["licence_expiry"]
                    name = text.pop("name", "")
                    create_entity(actor=actor, name=name, **text)
                else:
                    role = fields.get("role")
                    try:
                        role = parse_role(role) if role is not None else ""
                    except ValueError:
                        fail("role", _("Unknown role %(r)r.") % {"r": role})
                        continue
                    entity_id = None
                    if "entity" in fields:
                        if entities is None:
                            entities = {norm(e.name): e.pk for e in policy.visible_entities(actor)}
                        entity_id = entities.get(norm(fields["entity"]))
                        if entity_id is None:
                            fail(
                                "entity",
                                _("Unknown seller entity %(e)r.") % {"e": fields["entity"]},
                            )
                            continue
                    password = fields.get("password")
                    add_member(
                        actor=actor,
                        email=str(fields.get("email", "")),
                        role=role,
                        name=str(fields.get("name", "")),
                        password=str(password) if password is not None else None,
                        entity_id=entity_id,
                    )
        except InvalidInput as exc:
            for e in exc.errors:
                fail(e.field, e.message)
        except DomainError as exc:
            fail("email" if job.kind == ImportKind.MEMBERS else "name", exc.detail)
        if progress and n % 50 == 0:
            progress(n)
    return errors


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
    from linkstar.exchange.tasks import run_import as run_import_task

    job_id = job.pk
    transaction.on_commit(lambda: run_import_task.enqueue(job_id))
    return job


def _actor_for(job: ImportJob) -> Actor | None:
    from linkstar.accounts.models import Membership

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
    if job.kind == ImportKind.MEMBERS:  # passwords are not kept once used
        index = [int(i) for i, t in job.mapping.get("columns", {}).items() if t == "password"]
        for _number, cells in job.rows:
            for i in index:
                if i < len(cells):
                    cells[i] = None
        fields.append("rows")
    job.save(update_fields=fields)
    return job


def _chunk_rows() -> int:
    return max(1, settings.LINKSTAR_IMPORT_CHUNK_ROWS)


def _run_projects(actor: Actor, job: ImportJob, report) -> dict:
    """Check every row (outside the write, its progress on the job row), then in one
    transaction: the project services' checks of every row, and the projects created chunk by
    chunk with their tracker states, the saving progress reported after each chunk."""
    from linkstar.core.clock import org_today
    from linkstar.exchange.projects_import import ProjectSheet, group_by_version
    from linkstar.projects.services import _materialise

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
                projects = _materialise(
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
        record(
            actor=actor,
            action="import.completed",
            obj=job,
            changes={
                "kind": {"before": None, "after": job.kind},
                "file_name": {"before": None, "after": job.file_name},
                "rows": {"before": None, "after": len(created)},
                "projects": {"before": None, "after": len(created)},
                "tasks_updated": {"before": None, "after": counts["tasks_updated"]},
                "stages_set": {"before": None, "after": counts["stages_set"]},
            },
        )
    return result


def _sorted(errors: list[dict]) -> list[dict]:
    return sorted(errors, key=lambda e: e["row"] or 0)


def _run_simple(actor: Actor, job: ImportJob, report) -> dict:
    with transaction.atomic():
        report("saving", 0)
        errors = _apply_simple(actor, job, progress=lambda n: report("saving", n))
        if errors:
            transaction.set_rollback(True)
            raise _Refused(errors)
        record(
            actor=actor,
            action="import.completed",
            obj=job,
            changes={
                "kind": {"before": None, "after": job.kind},
                "file_name": {"before": None, "after": job.file_name},
                "rows": {"before": None, "after": len(job.rows)},
                job.kind: {"before": None, "after": len(job.rows)},
            },
        )
    return {"created": len(job.rows)}


# --- the tracker's stages and task columns ------------------------------------------------------


def apply_imported_states(*, actor: Actor, created: list) -> dict:
    """Give imported projects the stage and task states their tracker records: the stage (one
    ``StageChange`` from preparing, noted as imported, audited as ``project.stage_changed``),
    and per task the status, assignee and due date. Statuses were checked against the plan's
    dependencies; a due date before the task's planned start moves the start to it. The task
    changes of one project are audited as one ``project.updated`` event that lists every
    changed task field (``task:<key>:<field>``, before and after). Written with a few
    statements per chunk of projects, whatever the number of tasks. Historical facts: no
    notifications."""
    from linkstar.projects.models import Stage, StageChange, StoreProject, Task, TaskStatus

    policy.require(actor, "project.create")
    now = timezone.now()
    note = _("Imported from a tracker.")
    entries: list[Entry] = []
    stage_rows = []
    changes_log = []
    task_updates = []
    finished: dict[int, int] = {}
    wanted = [(p, s) for p, s in created if s.tasks]
    keys = {key for _p, s in wanted for key in s.tasks}
    adapt_date = connection.ops.adapt_datefield_value
    adapt_time = connection.ops.adapt_datetimefield_value
    stamp = adapt_time(now)
    fields = ("status", "assignee_id", "start_date", "due_date")
    tasks = (
        {
            (t[1], t[2]): t
            for t in Task.objects.filter(
                project_id__in=[p.pk for p, _s in wanted], key__in=keys
            ).values_list("id", "project_id", "key", *fields)
        }
        if wanted
        else {}
    )
    for project, s in wanted:
        changes: dict = {}
        for key, state in s.tasks.items():
            task = tasks[(project.pk, key)]
            before = dict(zip(fields, task[3:], strict=True))
            after = dict(before)
            if state.status:
                after["status"] = state.status
            if state.assignee_id is not None:
                after["assignee_id"] = state.assignee_id
            if state.due_date is not None:
                after["due_date"] = state.due_date
                if after["start_date"] and state.due_date < after["start_date"]:
                    after["start_date"] = state.due_date
            if after == before:
                continue
            status = after["status"]
            started = stamp if status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE) else None
            completed = stamp if status in (TaskStatus.DONE, TaskStatus.SKIPPED) else None
            if completed:
                finished[project.pk] = finished.get(project.pk, 0) + 1
            task_updates.append(
                (
                    status,
                    after["assignee_id"],
                    adapt_date(after["start_date"]),
                    adapt_date(after["due_date"]),
                    started,
                    completed,
                    note if status == TaskStatus.SKIPPED else "",
                    stamp,
                    task[0],
                )
            )
            for name, change in diff(before, after).items():
                changes[f"task:{key}:{name}"] = change
        if changes:
            changes["imported"] = {"before": None, "after": True}
            entries.append(
                Entry(
                    action="project.updated",
                    object_type="storeproject",
                    object_id=project.pk,
                    object_repr=str(project),
                    project_id=project.pk,
                    changes=changes,
                )
            )
    for project, s in created:
        if s.stage and s.stage != Stage.PREPARING:
            stage_rows.append((s.stage, stamp, project.pk))
            changes_log.append(
                StageChange(
                    project=project,
                    from_stage=Stage.PREPARING,
                    to_stage=s.stage,
                    note=note,
                    actor_id=actor.user_id,
                    at=now,
                )
            )
            entries.append(
                Entry(
                    action="project.stage_changed",
                    object_type="storeproject",
                    object_id=project.pk,
                    object_repr=str(project),
                    project_id=project.pk,
                    changes={
                        "stage": {"before": Stage.PREPARING.value, "after": s.stage},
                        "note": {"before": None, "after": note},
                    },
                )
            )
            project.stage = s.stage
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if task_updates:
            cursor.executemany(
                f"UPDATE {qn(Task._meta.db_table)} SET status = %s, assignee_id = %s, "
                "start_date = %s, due_date = %s, started_at = %s, completed_at = %s, "
                "skip_reason = %s, updated_at = %s, version = version + 1 WHERE id = %s",
                task_updates,
            )
        if finished:
            cursor.executemany(
                f"UPDATE {qn(StoreProject._meta.db_table)} SET finished_task_count = %s "
                "WHERE id = %s",
                [(n, pk) for pk, n in finished.items()],
            )
        if stage_rows:
            cursor.executemany(
                f"UPDATE {qn(StoreProject._meta.db_table)} SET stage = %s, stage_changed_at = %s, "
                "version = version + 1 WHERE id = %s",
                stage_rows,
            )
    StageChange.objects.bulk_create(changes_log)
    record_many(actor=actor, entries=entries)
    return {"tasks_updated": len(task_updates), "stages_set": len(stage_rows)}
