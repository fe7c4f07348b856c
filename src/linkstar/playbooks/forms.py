"""Forms of the template pages, and the draft editor's tasks table ⇄ task blueprints.

The editor posts one table row per task: a ``row`` field per row (its id, in the order shown) and
``t<id>-<field>`` fields. Parsing only turns text into the blueprint shape (numbers, lists); every
rule about the plan is the service's (``validation.py``), whose errors come back as
``tasks[i] (key).field`` and are put back on row ``i``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.core.exceptions import FieldError

STRIPPED_FIELDS = ("key", "title", "title_en", "phase", "role", "depends_on", "sets_stage")
FIELD_LABELS = {
    "key": _("Key"),
    "title": _("Title"),
    "title_en": _("English title"),
    "description": _("Description"),
    "description_en": _("English description"),
    "phase": _("Phase"),
    "offset_days": _("Start offset"),
    "duration_days": _("Duration"),
    "depends_on": _("Depends on"),
    "role": _("Role"),
    "document_types": _("Document types"),
    "approval_levels": _("Approval levels"),
    "checklist": _("Checklist"),
    "checklist_en": _("English checklist"),
    "sets_stage": _("Sets stage"),
}
ERROR_FIELD = re.compile(r"^tasks\[(\d+)\](?: \(.*\))?\.(\w+)$")
ROW_ID = re.compile(r"^[A-Za-z0-9_]{1,32}$")


class TemplateCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    site = forms.ChoiceField(label=_("Site"))

    def __init__(self, *args, sites: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("Choose a site")), *sites]


class TemplateCloneForm(forms.Form):
    name = forms.CharField(label=_("Name of the copy"), max_length=200)


def add_service_errors(form: forms.Form, errors: list[FieldError]) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    for error in errors:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))


@dataclass
class TaskRow:
    """One row of the tasks table as the person typed it, with the errors found on it."""

    rid: str
    key: str = ""
    title: str = ""
    title_en: str = ""
    description: str = ""
    description_en: str = ""
    phase: str = ""
    offset_days: str = "0"
    duration_days: str = "1"
    depends_on: str = ""
    role: str = ""
    document_types: list[str] = field(default_factory=list)
    approval_levels: str = "0"
    checklist: str = ""
    checklist_en: str = ""
    sets_stage: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_blueprint(cls, rid: str, bp: dict) -> TaskRow:
        return cls(
            rid=rid,
            key=bp["key"],
            title=bp["title"],
            title_en=bp.get("title_en") or "",
            description=bp.get("description") or "",
            description_en=bp.get("description_en") or "",
            phase=bp["phase"] or "",
            offset_days=str(bp["offset_days"]),
            duration_days=str(bp["duration_days"]),
            depends_on=", ".join(bp["depends_on"]),
            role=bp.get("role") or "",
            document_types=list(bp["document_types"]),
            approval_levels=str(bp["approval_levels"]),
            checklist="\n".join(bp["checklist"]),
            checklist_en="\n".join(bp.get("checklist_en") or []),
            sets_stage=bp.get("sets_stage") or "",
        )

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(str(message))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)


def rows_from_post(data) -> list[TaskRow]:
    """The rows of the posted tasks table, in the order they were shown."""
    rows = []
    for rid in data.getlist("row"):
        if not ROW_ID.match(rid):
            continue
        prefix = f"t{rid}-"
        row = TaskRow(rid=rid)
        for name in (*STRIPPED_FIELDS, "offset_days", "duration_days", "approval_levels"):
            setattr(row, name, (data.get(prefix + name) or "").strip())
        for name in ("description", "description_en", "checklist", "checklist_en"):  # multi-line
            setattr(row, name, data.get(prefix + name) or "")
        row.document_types = [code for code in data.getlist(prefix + "document_types") if code]
        rows.append(row)
    return rows


def _whole_number(row: TaskRow, name: str) -> int | None:
    text = getattr(row, name)
    try:
        return int(text)
    except ValueError:
        row.add_error(name, _("Enter a whole number."))
        return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def rows_to_tasks(rows: list[TaskRow]) -> list[dict] | None:
    """The blueprints the rows describe, or None when a cell is not even a number (the row then
    carries the error)."""
    tasks = []
    for row in rows:
        numbers = {
            name: _whole_number(row, name)
            for name in ("offset_days", "duration_days", "approval_levels")
        }
        tasks.append(
            {
                "key": row.key,
                "title": row.title,
                "title_en": row.title_en,
                "description": row.description,
                "description_en": row.description_en,
                "phase": row.phase,
                **numbers,
                "depends_on": [k for k in re.split(r"[\s,，;；]+", row.depends_on) if k],
                "role": row.role or None,
                "document_types": row.document_types,
                "checklist": _lines(row.checklist),
                "checklist_en": _lines(row.checklist_en),
                "sets_stage": row.sets_stage or None,
            }
        )
    if any(row.has_errors for row in rows):
        return None
    return tasks


def place_errors(rows: list[TaskRow], errors: list[FieldError]) -> list[str]:
    """Put each ``tasks[i] (key).field`` error on its row and cell; return the others."""
    general = []
    for error in errors:
        match = ERROR_FIELD.match(error.field)
        if match and int(match.group(1)) < len(rows):
            rows[int(match.group(1))].add_error(match.group(2), error.message)
        else:
            general.append(str(error.message))
    return general
