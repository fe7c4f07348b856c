"""Text bound for a spreadsheet (.xlsx and .csv exports, the CSV files of archives), made safe.

- A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
  Excel and LibreOffice (formula or "CSV" injection: ``=HYPERLINK(...)`` in a store name runs
  when the export is opened). It is kept as text with a leading apostrophe.
- Control characters (other than tab, line feed and carriage return) cannot be written to an
  ``.xlsx`` at all — one in any store name made every export of the organization fail — and
  mean nothing to a reader: they are removed.
"""

from __future__ import annotations

from typing import Any

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
