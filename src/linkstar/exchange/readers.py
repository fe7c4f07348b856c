"""Reading trackers as people keep them: ``.xlsx`` (read-only openpyxl, merged cells filled
from their top-left cell, title rows above the header) and ``.csv`` (UTF-8 with or without BOM,
else GB18030, which is what Chinese Excel saves).

The result is a :class:`Table`: the header labels (a two-row header is read as "group sub"),
and the data rows with the row number the person sees in the sheet, blank rows left out.
Cells are text (NFKC-normalised: full-width letters, digits and spaces become plain ones),
numbers, or ISO dates for cells Excel holds as dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import fromstring, iterparse

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from linkstar.archives.exports import PROJECT_COLUMNS, TASK_COLUMNS
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.exchange.fields import clean_text, header_vocabulary, norm

HEADER_SCAN_ROWS = 20


@dataclass
class Table:
    headers: list[str]
    rows: list[list]  # [sheet row number, [cells]]
    header_row: int = 1
    sheet_name: str = ""
    warnings: list[str] = field(default_factory=list)


def _cell(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    text = clean_text(value)
    return text or None


def read_table(file_name: str, data: bytes) -> Table:
    """Parse an uploaded tracker; ``InvalidInput`` on ``file`` for what cannot be read."""
    name = (file_name or "").lower()
    others: list[list[list]] = []
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        grid, merges, sheet, others = _xlsx_grid(data)
    elif name.endswith((".csv", ".txt")):
        grid, merges, sheet = _csv_grid(data), [], ""
    else:
        raise InvalidInput(
            FieldError("file", _("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
        )
    _fill_merges(grid, merges)
    table = _table(grid, sheet)
    for other in others:
        if _merge_export_tasks(table, other):
            break
    return table


# --- xlsx ---------------------------------------------------------------------------------------

_MERGE = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"


def _xlsx_grid(data: bytes):
    """The first sheet's cells (and the next two sheets'), its merged ranges and its title:
    by :func:`_xlsx_fast` (a direct read of the sheet XML), or by openpyxl when the file uses
    something the direct read does not know."""
    try:
        return _xlsx_fast(data)
    except Exception:
        return _xlsx_openpyxl(data)


def _xlsx_openpyxl(data: bytes):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(
            FieldError(
                "file", _("This file is not a readable Excel workbook (%(e)s).") % {"e": exc}
            )
        ) from None
    try:
        ws = workbook.worksheets[0]
        grid = [list(row) for row in ws.iter_rows(values_only=True)]
        # LinkStar's own project export carries the tasks on a second sheet (read below).
        others = [
            [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets[1:3]
        ]
        merges = []
        # Read-only worksheets do not expose merged ranges: read them from the sheet's XML.
        with ws._get_source() as source:
            for _event, element in iterparse(source):
                if element.tag == _MERGE:
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
                element.clear()
        return grid, merges, ws.title, others
    finally:
        workbook.close()


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Built-in number formats that are dates: the common ones, and the East Asian ones
# (27-36, 50-58: "yyyy年m月d日" and the like, which Chinese Excel uses).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


class _Unsupported(Exception):
    pass


@dataclass
class _Workbook:
    """What reading a sheet's cells needs from the rest of the workbook. openpyxl's helpers are
    handed in by :func:`_xlsx_fast`, which imports openpyxl when a workbook is read rather than
    when the app starts."""

    archive: zipfile.ZipFile
    strings: list[str]  # the shared strings
    date_styles: set[int]  # the cell styles whose number format is a date
    from_serial: Callable[[int | float], dt.datetime]  # a date number, in the workbook's calendar
    column_index: Callable[[str], int]  # "AB" → 28
    range_bounds: Callable[[str], tuple]  # "A1:C2" → (min col, min row, max col, max row)


def _xlsx_fast(data: bytes):
    """Read the workbook's sheets straight from their XML (about three times faster than
    openpyxl's read-only mode on a 5,000-row tracker): shared and inline strings, numbers,
    booleans, cached formula values, and numbers in a date format as datetimes, as openpyxl
    gives them (``data_only``), with the merged ranges of the first sheet."""

    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    workbook = _xml(archive, "xl/workbook.xml")
    epoch = CALENDAR_MAC_1904 if _uses_1904_calendar(workbook) else CALENDAR_WINDOWS_1900
    sheets = _sheet_paths(archive, workbook)
    if not sheets:
        raise _Unsupported("no sheet")
    strings = _shared_strings(archive, names)

    date_styles: set[int] = set()
    if "xl/styles.xml" in names:
        styles = _xml(archive, "xl/styles.xml")
        custom = {
            int(f.get("numFmtId")): f.get("formatCode") or "" for f in styles.iter(f"{_NS}numFmt")
        }
        xfs = styles.find(f"{_NS}cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            number_format = int(xf.get("numFmtId") or 0)
            code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
            if number_format in _DATE_FORMAT_IDS or (code and is_date_format(code)):
                date_styles.add(index)

    book = _Workbook(
        archive=archive,
        strings=strings,
        date_styles=date_styles,
        from_serial=lambda serial: from_excel(serial, epoch),
        column_index=column_index_from_string,
        range_bounds=range_boundaries,
    )
    try:
        title, path = sheets[0]
        grid, merges = _read_sheet(book, path, True)
        others = [_read_sheet(book, p, False)[0] for _t, p in sheets[1:3]]
    finally:
        archive.close()
    return grid, merges, title, others


def _uses_1904_calendar(workbook) -> bool:
    """Old Mac workbooks count dates from 1904 rather than 1900."""
    pr = workbook.find(f"{_NS}workbookPr")
    return pr is not None and pr.get("date1904") in ("1", "true")


def _sheet_paths(archive: zipfile.ZipFile, workbook) -> list[tuple[str, str]]:
    """(name, path in the archive) of each sheet, in the workbook's order."""
    targets = {
        rel.get("Id"): rel.get("Target")
        for rel in _xml(archive, "xl/_rels/workbook.xml.rels").iter(_PKG_REL)
    }
    sheets = []
    for sheet in workbook.iter(f"{_NS}sheet"):
        target = targets[sheet.get(f"{_REL_NS}id")]
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheets.append((sheet.get("name") or "", path))
    return sheets


def _shared_strings(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    if "xl/sharedStrings.xml" not in names:
        return []
    return [_text_of(item) for item in _xml(archive, "xl/sharedStrings.xml").iter(f"{_NS}si")]


def _read_sheet(book: _Workbook, path: str, with_merges: bool):
    """The sheet's rows of cell values (rows missing from the XML are empty) and, when asked,
    its merged ranges as 0-based (first row, first column, last row, last column)."""
    grid: list[list] = []
    merges = []
    with book.archive.open(path) as source:
        for _event, element in iterparse(source):
            tag = element.tag
            if tag == f"{_NS}row":
                number = int(element.get("r") or len(grid) + 1)
                while len(grid) < number - 1:
                    grid.append([])
                grid.append(_read_row(book, element))
                element.clear()
            elif tag == f"{_NS}mergeCell" and with_merges:
                min_col, min_row, max_col, max_row = book.range_bounds(element.get("ref"))
                merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
    return grid, merges


def _read_row(book: _Workbook, element) -> list:
    """A row's values, with None for the cells the XML leaves out before a cell."""
    row: list = []
    for cell in element.iter(f"{_NS}c"):
        ref = cell.get("r")
        if ref:
            column = book.column_index(ref.rstrip("0123456789")) - 1
            if column > len(row):
                row.extend([None] * (column - len(row)))
        row.append(_cell_value(book, cell))
    return row


def _cell_value(book: _Workbook, cell):
    """A cell's value by its type ``t``: inline or shared string, number (a datetime in a date
    style), boolean, formula text or error, ISO date; ``_Unsupported`` for any other type."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_NS}is")
        return _text_of(inline) if inline is not None else None
    v = cell.find(f"{_NS}v")
    text = v.text if v is not None else None
    if text is None:
        return None
    if kind == "s":
        return book.strings[int(text)]
    if kind == "n":
        return _number_value(book, cell, text)
    if kind == "b":
        return text in ("1", "true")
    if kind in ("str", "e"):
        return text
    if kind == "d":
        return dt.datetime.fromisoformat(text)
    raise _Unsupported(kind)


def _number_value(book: _Workbook, cell, text: str):
    value = float(text) if any(c in text for c in ".eE") else int(text)
    style = cell.get("s")
    if style and int(style) in book.date_styles:
        return book.from_serial(value)
    return value


def _xml(archive: zipfile.ZipFile, name: str):
    return fromstring(archive.read(name))


def _text_of(element) -> str:
    """The text of a string item: its ``t``, or its rich-text runs' (phonetic runs left out)."""
    plain = element.find(f"{_NS}t")
    if plain is not None:
        return plain.text or ""
    return "".join(
        (t.text or "") for run in element.findall(f"{_NS}r") for t in run.findall(f"{_NS}t")
    )


# --- csv ----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(FieldError("file", _("The CSV file is neither UTF-8 nor GB18030/GBK text.")))


def _csv_grid(data: bytes) -> list[list]:
    text = decode_text(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


# --- the table ----------------------------------------------------------------------------------


def _fill_merges(grid: list[list], merges) -> None:
    for r0, c0, r1, c1 in merges:
        if r0 >= len(grid):
            continue
        top = grid[r0]
        value = top[c0] if c0 < len(top) else None
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def _header_score(cells: list) -> int:
    vocabulary = header_vocabulary()
    texts = [clean_text(c).lower() for c in cells if isinstance(c, str) and clean_text(c)]
    if len(set(texts)) < 2 and not (texts and texts[0] in vocabulary):
        return 0  # a title row: one text spread over merged cells
    return sum(1 for t in texts if t in vocabulary) * 10 + len(set(texts))


def _table(grid: list[list], sheet: str) -> Table:
    cells = [[_cell(v) for v in row] for row in grid]
    scan = cells[:HEADER_SCAN_ROWS]
    if not any(any(v is not None for v in row) for row in scan):
        raise InvalidInput(FieldError("file", _("The sheet is empty.")))
    # Ties go to the lower row: a two-row header repeats its vertically merged labels.
    scores = [_header_score(row) for row in scan]
    header_at = max(range(len(scan)), key=lambda i: (scores[i], i if scores[i] else -i))
    width = max((len(r) for r in cells), default=0)
    head = scan[header_at] + [None] * (width - len(scan[header_at]))
    above = scan[header_at - 1] + [None] * width if header_at > 0 else [None] * width
    group_row = header_at > 0 and len({v for v in above if v is not None}) >= 2
    headers = []
    for c in range(width):
        label = str(head[c]) if head[c] is not None else ""
        parent = str(above[c]) if group_row and above[c] is not None else ""
        if parent and parent != label:
            label = f"{parent} {label}".strip()
        headers.append(label)
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    if not width:
        raise InvalidInput(FieldError("file", _("No header row was found.")))
    rows = []
    for i in range(header_at + 1, len(cells)):
        row = (cells[i] + [None] * width)[:width]
        if all(v is None or v == "" for v in row):
            continue
        rows.append([i + 1, row])
    return Table(headers=headers, rows=rows, header_row=header_at + 1, sheet_name=sheet)


# --- LinkStar's own export: the Tasks sheet ------------------------------------------------------

TASK_ATTRIBUTE_SOURCES = {"task_status": "status", "assignee_email": "assignee", "due_date": "due"}


def _export_labels(columns) -> dict[str, str]:
    """Normalised header (both languages) → column key of an export sheet."""

    labels = {}
    for column in columns:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels[norm(str(column.label))] = column.key
    return labels


def _merge_export_tasks(table: Table, grid: list[list]) -> bool:
    """When ``grid`` is the Tasks sheet of a LinkStar project export (project code, task key,
    status, assignee email, due date per task), give every project row its tasks' states as
    columns "<task key> status / assignee / due", which the mapping recognises, so that an
    export imports back with its task states. False when the sheet is something else."""

    if not grid or not table.rows:
        return False
    task_labels = _export_labels(TASK_COLUMNS)
    header = {task_labels.get(norm(v)): i for i, v in enumerate(grid[0]) if v is not None}
    if not {"project_code", "task_key"} <= set(header):
        return False
    code_labels = {k for k, v in _export_labels(PROJECT_COLUMNS).items() if v == "code"}
    code_at = next((i for i, h in enumerate(table.headers) if norm(h) in code_labels), None)
    if code_at is None:
        return False
    states: dict[str, dict[str, dict[str, object]]] = {}
    keys: dict[str, None] = {}
    for row in grid[1:]:
        cells = [_cell(v) for v in row]
        code = cells[header["project_code"]] if header["project_code"] < len(cells) else None
        key = cells[header["task_key"]] if header["task_key"] < len(cells) else None
        if not code or not key:
            continue
        keys.setdefault(str(key))
        state = states.setdefault(str(code), {}).setdefault(str(key), {})
        for source, attribute in TASK_ATTRIBUTE_SOURCES.items():
            at = header.get(source)
            if at is not None and at < len(cells):
                state[attribute] = cells[at]
    if not keys:
        return False
    added = [(key, attribute) for key in keys for attribute in TASK_ATTRIBUTE_SOURCES.values()]
    table.headers.extend(f"{key} {attribute}" for key, attribute in added)
    for row in table.rows:
        cells = row[1]
        tasks = states.get(str(cells[code_at]), {})
        cells.extend(tasks.get(key, {}).get(attribute) for key, attribute in added)
    return True
