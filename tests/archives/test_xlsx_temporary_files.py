"""An .xlsx export leaves no temporary file behind, whether it succeeds or fails halfway
(openpyxl streams each sheet through a file in the temporary directory)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest

from linkstar.archives.exports import TEXT, Column, Sheet, write_xlsx


def leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("openpyxl.*")}


def column(value) -> Column:
    return Column(key="name", label="店铺", kind=TEXT, width=20, value=value)


def test_a_successful_export_leaves_no_temporary_file():
    before = leftovers()
    out = io.BytesIO()
    assert write_xlsx([Sheet("店铺", [column(lambda row, ctx: row)], ["甲", "乙"])], {}, out) == 2
    assert out.getvalue()[:2] == b"PK"
    assert leftovers() - before == set()


def test_an_export_failing_halfway_leaves_no_temporary_file():
    def broken(row, ctx):
        if row == "乙":
            raise LookupError("the row went away")
        return row

    before = leftovers()
    sheets = [
        Sheet("店铺", [column(lambda row, ctx: row)], ["甲"]),
        Sheet("任务", [column(broken)], ["甲", "乙"]),
    ]
    with pytest.raises(LookupError):
        write_xlsx(sheets, {}, io.BytesIO())
    assert leftovers() - before == set()
