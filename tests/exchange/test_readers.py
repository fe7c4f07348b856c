"""The direct .xlsx read gives what openpyxl gives (it falls back to openpyxl on anything it
does not know), faster."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

from linkstar.exchange import readers
from tests.support.exchange import tracker


def _workbook_with_everything() -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = "进度"
    ws.append(["标题", None, None, None, None, None, None])
    ws.append(["店铺名称", "数量", "比例", "日期", "时间", "是否", "公式"])
    ws.append(
        [
            "Ｙｕｎｆａｎ",
            3,
            0.25,
            dt.date(2026, 3, 5),
            dt.datetime(2026, 3, 5, 9, 30),  # noqa: DTZ001 - Excel times are naive
            True,
            "=B3*2",
        ]
    )
    ws.append([])
    ws.append(["第二行", None, 1e20, 46095, None, False, "文本"])
    ws["D5"].number_format = "yyyy年m月d日"
    ws.merge_cells("A1:G1")
    second = workbook.create_sheet("任务")
    second.append(["项目编号", "任务标识"])
    second.append(["AMZ-US-0001", "prepare-license"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_direct_read_matches_openpyxl(entity, entity_yunfan):
    for data in (_workbook_with_everything(), tracker(entity, entity_yunfan)):
        fast = readers._xlsx_fast(data)
        slow = readers._xlsx_openpyxl(data)
        assert fast[1:] == slow[1:]  # merges, title, other sheets
        trimmed = [[v for v in row] for row in fast[0]]
        expected = [list(row) for row in slow[0]]
        # openpyxl pads every row to the sheet's width; the direct read stops at the last cell
        width = max(len(r) for r in expected)
        assert [r + [None] * (width - len(r)) for r in trimmed] == expected
