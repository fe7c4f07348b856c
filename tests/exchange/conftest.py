"""Fixtures of the import tests: trackers built with openpyxl as people keep them."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook


def xlsx(rows: list[list], merges: tuple[str, ...] = (), date_cells: dict | None = None) -> bytes:
    """A workbook whose first sheet holds ``rows`` (from A1), with merged ranges and cells
    given an Excel date format (``{"D5": "yyyy/m/d"}``)."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "开店进度"
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    for ref, fmt in (date_cells or {}).items():
        ws[ref].number_format = fmt
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def make_xlsx():
    return xlsx
