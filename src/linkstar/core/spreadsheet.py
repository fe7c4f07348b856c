"""Text bound for a spreadsheet (.xlsx and .csv exports, the CSV files of archives), made safe.

- A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
  Excel and LibreOffice (formula or "CSV" injection: ``=HYPERLINK(...)`` in a store name runs
  when the export is opened). It is kept as text with a leading apostrophe.
- Control characters (other than tab, line feed and carriage return) cannot be written to an
  ``.xlsx`` at all — one in any store name made every export of the organization fail — and
  mean nothing to a reader: they are removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from linkstar.core.text import CONTROL

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet will show it, never run it."""
    if value[:1] in FORMULA_STARTS:
        value = "'" + value
    return CONTROL.sub("", value)


def safe_cell(value: Any) -> Any:
    """A cell's value: texts made safe, everything else (numbers, dates, None) as it is."""
    return safe_text(value) if isinstance(value, str) else value


@contextmanager
def write_only_workbook() -> Iterator[Workbook]:
    """A streaming workbook whose temporary files never outlive the export. openpyxl writes
    each sheet of a write-only workbook to a file in the temporary directory and removes it
    once the workbook is saved; an export that fails before (a value that cannot be read, a
    client gone) left them there until the process ended — a web worker runs for days."""
    book = Workbook(write_only=True)
    try:
        yield book
    finally:
        for sheet in book.worksheets:
            writer = getattr(sheet, "_writer", None)
            if writer is None:
                continue
            rows = getattr(sheet, "_rows", None)
            if rows is not None:  # the sheet's row stream first, while its file is open
                with suppress(Exception):
                    rows.close()
            writer.close()
            with suppress(FileNotFoundError):
                os.remove(writer.out)
            if writer.out in ALL_TEMP_FILES:
                ALL_TEMP_FILES.remove(writer.out)
