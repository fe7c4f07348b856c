"""Spreadsheets for the import tests, built in memory."""

from __future__ import annotations

import io

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


TITLE = "2026年 跨境开店进度表（代运营部）"


def tracker(entity, entity_yunfan) -> bytes:
    """Row 1 a title merged over every column; rows 2-3 a two-row header: the store columns
    merged vertically, the task groups ("准备营业执照") merged across their sub-columns."""
    rows = [
        [TITLE, None, None, None, None, None, None, None, None, None, None],
        [
            "店铺名称",
            "平台",
            "站点",
            "开店主体",
            "项目经理",
            "开始日期",
            "当前阶段",
            "准备营业执照",
            None,
            None,
            "准备法人身份证",
        ],
        [None, None, None, None, None, None, None, "状态", "负责人", "截止日期", "状态"],
        [
            "星河家居美国店",
            "亚马逊",
            "美国站",
            entity.name,
            "bob@example.com",
            "2026/3/5",
            "审核中",
            "已完成",
            "Carol",
            "2026年3月8日",
            "完成",
        ],
        [None] * 11,
        [
            "Ｙｕｎｆａｎ　Ｈｏｍｅ　ＣＡ",
            None,
            "ＡＭＺ－ＣＡ",
            "Hangzhou Yunfan",
            "Bob",
            46095,
            "under review",
            "进行中",
            "carol@example.com",
            46100,
            None,
        ],
        [
            "星河墨西哥店",
            None,
            "amazon-mx",
            "91440300MA5G8ABCD1",
            None,
            "3/5/2026",
            "待提交",
            None,
            None,
            None,
            None,
        ],
        [None] * 11,
    ]
    merges = (
        "A1:K1",
        "A2:A3",
        "B2:B3",
        "C2:C3",
        "D2:D3",
        "E2:E3",
        "F2:F3",
        "G2:G3",
        "H2:J2",
        "K2:K2",
    )
    return xlsx(rows, merges=[m for m in merges if m != "K2:K2"], date_cells={"F6": "General"})
