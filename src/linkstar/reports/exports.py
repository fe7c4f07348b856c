"""The report as a workbook (.xlsx): one sheet per table of the page, each figure with the number
of cases it rests on, in the reader's language."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from linkstar.core.spreadsheet import safe_cell
from linkstar.documents.downloads import content_disposition
from linkstar.projects.models import Stage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title=title[:31])
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, _title in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 16


def _figure(figure: dict) -> list:
    return [figure["median"], figure["p80"], figure["n"]]


def _group_row(kind: str, name: str, g: dict) -> list:
    return [
        kind,
        name,
        g["projects"],
        *[g["by_stage"][s] for s, _label in Stage.choices],
        *_figure(g["to_submission"]),
        *_figure(g["to_result"]),
        *_figure(g["to_opening"]),
        g["needs_info_share"]["value"],
        g["needs_info_times"]["value"],
        g["rejection_rate"]["value"],
        g["rejection_rate"]["n"],
    ]


def workbook(data: dict) -> bytes:
    book = Workbook()
    book.remove(book.active)
    median, p80, n = _("median (days)"), _("80th percentile (days)"), _("projects")
    header = [
        _("Level"),
        _("Platform or site"),
        pgettext("report", "Projects"),
        *[str(label) for _s, label in Stage.choices],
        _("To submission: ") + median,
        _("To submission: ") + p80,
        _("To submission: ") + n,
        _("To a result: ") + median,
        _("To a result: ") + p80,
        _("To a result: ") + n,
        _("To opening: ") + median,
        _("To opening: ") + p80,
        _("To opening: ") + n,
        _("Went through “more info needed” (%)"),
        _("Times in “more info needed”, on average"),
        _("Not approved (%)"),
        _("Projects with a result"),
    ]
    rows = [_group_row(_("All"), _("All"), data["total"])]
    for platform in data["platforms"]:
        rows.append(_group_row(_("Platform"), platform["name"], platform))
        rows.extend(_group_row(_("Site"), site["name"], site) for site in platform["sites"])
    _sheet(book, _("Platforms and sites"), header, rows)
    _sheet(
        book,
        _("Bottlenecks"),
        [
            _("Step"),
            _("Template"),
            _("Version"),
            _("Planned days"),
            _("Days over plan: median"),
            _("Days over plan: 80th percentile"),
            _("Steps finished"),
            _("On time (%)"),
        ],
        [
            [
                b["title"],
                b["template"],
                b["version"],
                b["planned_days"],
                b["overrun"]["median"],
                b["overrun"]["p80"],
                b["overrun"]["n"],
                b["on_time"]["value"],
            ]
            for b in data["bottlenecks"]
        ],
    )
    _sheet(
        book,
        pgettext("report", "Approvals"),
        [_("Level"), _("Hours: median"), _("Hours: 80th percentile"), _("Decisions")],
        [[a["level"], *_figure(a["hours"])] for a in data["approvals"]],
    )
    people = data["people"]
    _sheet(
        book,
        _("People"),
        [
            pgettext("report", "Person"),
            _("Open tasks"),
            _("Overdue tasks"),
            _("Approvals waiting"),
            *[_("Finished, week of %(d)s") % {"d": w} for w in people["weeks"]],
        ],
        [
            [p["name"], p["open"], p["overdue"], p["approvals_waiting"], *p["finished_per_week"]]
            for p in people["rows"]
        ],
    )
    _sheet(
        book,
        _("Openings over time"),
        [_("Month"), pgettext("report", "Opened"), _("Opened in all")],
        [[m["month"], m["opened"], m["total"]] for m in data["opened_over_time"]],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_response(actor, data: dict) -> HttpResponse:
    name = f"linkstar-report-{actor.organization.slug}-{data['period']['start']:%Y%m%d}-{data['period']['end']:%Y%m%d}.xlsx"
    response = HttpResponse(workbook(data), content_type=XLSX)
    response["Content-Disposition"] = content_disposition(name, fallback=name)
    response["Cache-Control"] = "private, no-store"
    return response
