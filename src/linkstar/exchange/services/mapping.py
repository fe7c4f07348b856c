"""The mapping of an import: which column fills which field, guessed from the organization's
remembered mapping or the header words, checked, remembered; the rows as mapped."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.utils.translation import gettext as _

from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.exchange.fields import FIELDS, IGNORE, field_label, norm, synonyms, task_column
from linkstar.exchange.models import ImportJob, ImportKind, ImportMapping
from linkstar.exchange.projects_import import ProjectSheet
from linkstar.playbooks.selectors import visible_templates

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
                tasks = ProjectSheet(actor, defaults).task_names()
            target = task_column(header, tasks)
        if target and target != IGNORE and target not in used:
            columns[str(i)] = target
            used.add(target)
    return {"columns": columns, "defaults": defaults}


def _allowed_fields(kind: str) -> set[str]:
    return {f.name for f in FIELDS[kind]}


def _clean_mapping(actor: Actor, job: ImportJob, mapping: dict) -> dict:
    defaults = mapping.get("defaults") or {}
    cleaned, used, errors = _clean_columns(job, mapping.get("columns") or {})
    clean_defaults: dict = {}
    if job.kind == ImportKind.PROJECTS:
        template_id = defaults.get("template_id")
        if template_id not in (None, ""):
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
    errors.extend(_missing_columns(job, used))
    if errors:
        raise InvalidInput(errors)
    return {"columns": cleaned, "defaults": clean_defaults}


def _clean_columns(
    job: ImportJob, columns: dict
) -> tuple[dict[str, str], dict[str, str], list[FieldError]]:
    """Column index → field, kept where the column exists and fills a field of the kind (or a
    task column of a project tracker) that no other column fills; also field → the header of
    its column, and the errors."""
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
        if target not in allowed and not _is_task_column(job.kind, target):
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
    return cleaned, used, errors


def _is_task_column(kind: str, target) -> bool:
    """``task:<key>:status|assignee|due``, in a project tracker."""
    if kind != ImportKind.PROJECTS or not str(target).startswith("task:"):
        return False
    parts = str(target).split(":")
    return len(parts) == 3 and parts[2] in ("status", "assignee", "due") and bool(parts[1])


def _missing_columns(job: ImportJob, used: dict[str, str]) -> list[FieldError]:
    """The required fields no column fills (a project tracker's entity by name or number; its
    site may come from the default template instead)."""
    errors = []
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
    return errors


def _field_label(kind: str, name: str) -> str:
    return field_label(kind, name)


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
