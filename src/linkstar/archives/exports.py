"""The project list and tasks as spreadsheets: ``.xlsx`` (typed cells, frozen header, widths, one
sheet per kind) and ``.csv`` (UTF-8 with a BOM so that Excel reads Chinese correctly).

Rows are streamed from the database into a temporary file (openpyxl's write-only mode keeps no
cell in memory), so an export of thousands of projects costs bounded memory and a fixed number
of queries. Headers are in the reader's language; the Projects sheet's headers are those the
importer (``exchange``) recognises, so an export can be imported again.

Sensitive values leave masked, as in every answer (``entities.sensitive``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from linkstar.accounts.people import person_name, shown_email
from linkstar.core.spreadsheet import safe_cell, safe_text, write_only_workbook
from linkstar.entities.sensitive import masked
from linkstar.playbooks.models import Phase
from linkstar.projects.models import FINISHED_TASK_STATUSES, ProjectStatus, Stage, TaskStatus

TEXT, INT, DATE, DATETIME, BOOL = "text", "int", "date", "datetime", "bool"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    key: str  # stable, language-independent name (also the importer's field name)
    label: Any  # lazy translated header
    kind: str
    width: int
    value: Callable[[Any, dict], Any]  # (row object, context) → a Python value of ``kind``


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _local(moment: dt.datetime | None, ctx: dict) -> dt.datetime | None:
    """Excel knows no time zones: times are written as the organization's wall-clock time."""
    if moment is None:
        return None
    return moment.astimezone(ctx["tz"]).replace(tzinfo=None)


def _user_name(user, ctx: dict) -> str:
    return person_name(user, ctx.get("viewer"))


def _user_email(user, ctx: dict) -> str:
    """ "" for a client reading the staff (issue 15 §1)."""
    return shown_email(user, ctx.get("viewer"))


def _template_name(template, ctx: dict) -> str:
    """A client reads no name of the organization's own templates (issue 15 §1)."""
    viewer = ctx.get("viewer")
    if viewer is not None and viewer.is_client and not template.builtin:
        return ""
    return template.display_name


PROJECT_COLUMNS = [
    Column("code", pgettext_lazy("export column", "Project code"), TEXT, 14, lambda p, c: p.code),
    Column(
        "store_name",
        pgettext_lazy("export column", "Store name"),
        TEXT,
        28,
        lambda p, c: p.store_name,
    ),
    Column(
        "platform",
        pgettext_lazy("export column", "Platform"),
        TEXT,
        14,
        lambda p, c: p.site.platform.display_name,
    ),
    Column("site", pgettext_lazy("export column", "Site code"), TEXT, 16, lambda p, c: p.site.code),
    Column(
        "entity",
        pgettext_lazy("export column", "Seller entity"),
        TEXT,
        32,
        lambda p, c: p.entity.name,
    ),
    Column(
        "entity_registration_number",
        pgettext_lazy("export column", "Registration number (masked)"),
        TEXT,
        22,
        lambda p, c: masked(p.entity, "registration_number"),
    ),
    Column(
        "manager",
        pgettext_lazy("export column", "Manager"),
        TEXT,
        14,
        lambda p, c: _user_name(p.manager, c),
    ),
    Column(
        "manager_email",
        pgettext_lazy("export column", "Manager email"),
        TEXT,
        26,
        lambda p, c: _user_email(p.manager, c),
    ),
    Column(
        "template",
        pgettext_lazy("export column", "Template"),
        TEXT,
        24,
        lambda p, c: _template_name(p.template_version.template, c),
    ),
    Column(
        "template_version",
        pgettext_lazy("export column", "Template version"),
        INT,
        10,
        lambda p, c: p.template_version.number,
    ),
    Column(
        "start_date",
        pgettext_lazy("export column", "Start date"),
        DATE,
        12,
        lambda p, c: p.start_date,
    ),
    Column(
        "planned_finish",
        pgettext_lazy("export column", "Planned finish"),
        DATE,
        12,
        lambda p, c: p.planned_finish,
    ),
    Column(
        "stage",
        pgettext_lazy("export column", "Stage"),
        TEXT,
        12,
        lambda p, c: _label(Stage, p.stage),
    ),
    Column(
        "status",
        pgettext_lazy("export column", "Project status"),
        TEXT,
        10,
        lambda p, c: _label(ProjectStatus, p.status),
    ),
    Column(
        "progress", pgettext_lazy("export column", "Progress (%)"), INT, 10, lambda p, c: p.progress
    ),
    Column(
        "task_count",
        pgettext_lazy("export column", "Task count"),
        INT,
        8,
        lambda p, c: p.task_count,
    ),
    Column(
        "finished_task_count",
        pgettext_lazy("export column", "Tasks finished"),
        INT,
        10,
        lambda p, c: p.finished_task_count,
    ),
    Column(
        "overdue",
        pgettext_lazy("export column", "Overdue"),
        BOOL,
        8,
        lambda p, c: bool(getattr(p, "is_overdue", False)),
    ),
    Column(
        "created_at",
        pgettext_lazy("export column", "Created"),
        DATETIME,
        17,
        lambda p, c: _local(p.created_at, c),
    ),
    Column(
        "closed_at",
        pgettext_lazy("export column", "Closed"),
        DATETIME,
        17,
        lambda p, c: _local(p.closed_at, c),
    ),
]


def _task_overdue(t, ctx) -> bool:
    return bool(t.status not in FINISHED_TASK_STATUSES and t.due_date and t.due_date < ctx["today"])


TASK_COLUMNS = [
    Column(
        "project_code",
        pgettext_lazy("export column", "Project code"),
        TEXT,
        14,
        lambda t, c: t.project.code,
    ),
    Column(
        "store_name",
        pgettext_lazy("export column", "Store name"),
        TEXT,
        24,
        lambda t, c: t.project.store_name,
    ),
    Column("task_key", pgettext_lazy("export column", "Task key"), TEXT, 20, lambda t, c: t.key),
    Column(
        "task_title", pgettext_lazy("export column", "Task"), TEXT, 32, lambda t, c: t.display_title
    ),
    Column(
        "phase",
        pgettext_lazy("export column", "Phase"),
        TEXT,
        12,
        lambda t, c: _label(Phase, t.phase),
    ),
    Column(
        "task_status",
        pgettext_lazy("export column", "Task status"),
        TEXT,
        12,
        lambda t, c: _label(TaskStatus, t.status),
    ),
    Column(
        "assignee",
        pgettext_lazy("export column", "Assignee"),
        TEXT,
        14,
        lambda t, c: _user_name(t.assignee, c),
    ),
    Column(
        "assignee_email",
        pgettext_lazy("export column", "Assignee email"),
        TEXT,
        26,
        lambda t, c: _user_email(t.assignee, c),
    ),
    Column(
        "task_start_date",
        pgettext_lazy("export column", "Task start"),
        DATE,
        12,
        lambda t, c: t.start_date,
    ),
    Column(
        "due_date", pgettext_lazy("export column", "Due date"), DATE, 12, lambda t, c: t.due_date
    ),
    Column(
        "completed_at",
        pgettext_lazy("export column", "Completed"),
        DATETIME,
        17,
        lambda t, c: _local(t.completed_at, c),
    ),
    Column(
        "approval_levels",
        pgettext_lazy("export column", "Approval levels"),
        INT,
        10,
        lambda t, c: t.approval_levels,
    ),
    Column(
        "depends_on",
        pgettext_lazy("export column", "Depends on"),
        TEXT,
        24,
        lambda t, c: ", ".join(c["dependencies"].get(t.pk, ())),
    ),
    Column(
        "document_types",
        pgettext_lazy("export column", "Documents needed"),
        TEXT,
        24,
        lambda t, c: ", ".join(t.document_types or ()),
    ),
    Column("overdue", pgettext_lazy("export column", "Overdue"), BOOL, 8, _task_overdue),
    Column(
        "skip_reason",
        pgettext_lazy("export column", "Reason skipped"),
        TEXT,
        24,
        lambda t, c: t.skip_reason,
    ),
]


def _upload_count(i, c) -> int:
    return len(getattr(i, "upload_list", ()))


REQUEST_ITEM_COLUMNS = [
    Column(
        "request_id", pgettext_lazy("export column", "Request"), INT, 9, lambda i, c: i.request_id
    ),
    Column(
        "project_code",
        pgettext_lazy("export column", "Project code"),
        TEXT,
        14,
        lambda i, c: i.request.project.code,
    ),
    Column(
        "store_name",
        pgettext_lazy("export column", "Store name"),
        TEXT,
        24,
        lambda i, c: i.request.project.store_name,
    ),
    Column(
        "entity",
        pgettext_lazy("export column", "Seller entity"),
        TEXT,
        28,
        lambda i, c: i.request.entity.name,
    ),
    Column(
        "requested_at",
        pgettext_lazy("export column", "Asked on"),
        DATETIME,
        17,
        lambda i, c: _local(i.request.created_at, c),
    ),
    Column(
        "requested_by",
        pgettext_lazy("export column", "Asked by"),
        TEXT,
        14,
        lambda i, c: _user_name(i.request.requested_by, c),
    ),
    Column(
        "due_date",
        pgettext_lazy("export column", "Due date"),
        DATE,
        12,
        lambda i, c: i.request.due_date,
    ),
    Column(
        "request_status",
        pgettext_lazy("export column", "Request status"),
        TEXT,
        12,
        lambda i, c: i.request.get_status_display(),
    ),
    Column(
        "document_type",
        pgettext_lazy("export column", "Document"),
        TEXT,
        24,
        lambda i, c: i.document_type.display_name,
    ),
    Column("note", pgettext_lazy("export column", "Note"), TEXT, 28, lambda i, c: i.note),
    Column(
        "item_status",
        pgettext_lazy("export column", "Document status"),
        TEXT,
        12,
        lambda i, c: i.get_status_display(),
    ),
    Column(
        "reason",
        pgettext_lazy("export column", "Reason sent back"),
        TEXT,
        24,
        lambda i, c: i.reason,
    ),
    Column("uploads", pgettext_lazy("export column", "Uploads"), INT, 9, _upload_count),
    Column(
        "closed_at",
        pgettext_lazy("export column", "Closed"),
        DATETIME,
        17,
        lambda i, c: _local(i.request.closed_at, c),
    ),
]


@dataclass
class Sheet:
    title: Any
    columns: list[Column]
    rows: Iterable[Any]


def context_for(
    organization, *, today: dt.date, dependencies: dict | None = None, viewer=None
) -> dict:
    """What the columns read besides the row; ``viewer``: the actor the export is for."""
    return {
        "tz": ZoneInfo(organization.time_zone or "Asia/Shanghai"),
        "today": today,
        "dependencies": dependencies or {},
        "viewer": viewer,
    }


# --- .xlsx --------------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    return get_column_letter(index)


def write_xlsx(sheets: list[Sheet], ctx: dict, out: IO[bytes]) -> int:
    """Write the workbook to ``out``; returns the number of data rows written."""

    with write_only_workbook() as workbook:
        header_font = Font(bold=True)
        header_fill = PatternFill("solid", fgColor="DDE6F2")
        wrap = Alignment(vertical="top")
        rows_written = 0
        for sheet in sheets:
            ws = workbook.create_sheet(title=str(sheet.title)[:31])
            ws.freeze_panes = "A2"
            for i, column in enumerate(sheet.columns, start=1):
                ws.column_dimensions[_column_letter(i)].width = column.width
            header = []
            for column in sheet.columns:
                cell = WriteOnlyCell(ws, value=safe_text(str(column.label)))
                cell.font = header_font
                cell.fill = header_fill
                cell.alignment = wrap
                header.append(cell)
            ws.append(header)
            formats = {DATE: DATE_FORMAT, DATETIME: DATETIME_FORMAT}
            for obj in sheet.rows:
                row = []
                for column in sheet.columns:
                    value = column.value(obj, ctx)
                    if column.kind in formats and value is not None:
                        cell = WriteOnlyCell(ws, value=value)
                        cell.number_format = formats[column.kind]
                        row.append(cell)
                    else:
                        row.append(safe_cell(value) if value != "" else None)
                ws.append(row)
                rows_written += 1
            ws.auto_filter.ref = (
                f"A1:{_column_letter(len(sheet.columns))}1" if sheet.columns else None
            )
        workbook.save(out)
        return rows_written


# --- .csv ---------------------------------------------------------------------------------------


def _csv_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == BOOL:
        return _("yes") if value else _("no")
    if kind == DATETIME:
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == DATE:
        return value.isoformat()
    if kind != TEXT:
        return str(value)
    return safe_text(str(value))  # never a formula, never a control character


def write_csv(sheet: Sheet, ctx: dict, out: IO[bytes]) -> int:
    """One sheet as CSV, UTF-8 with BOM (``utf-8-sig``), CRLF line ends as Excel writes them."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([str(c.label) for c in sheet.columns])
    rows = 0
    for obj in sheet.rows:
        writer.writerow([_csv_text(c.value(obj, ctx), c.kind) for c in sheet.columns])
        rows += 1
    text.flush()
    text.detach()
    return rows


def spool() -> IO[bytes]:
    """A temporary file for an export: in memory while small, on disk once it grows."""
    return tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
