"""The project page's Gantt chart as server-rendered SVG: no JavaScript library, no queries.

``render_gantt`` is a pure function of the tasks (anything with ``pk``, ``key``, ``phase``,
``status``, ``start_date``, ``due_date``, ``display_title`` and the ids it depends on) and of
``today``: one bar per task from its start to its due date, grouped under phase labels, arrows
from the end of a dependency to the start of its dependant, a line for today, open tasks past
their due date in red and finished ones greyed. Every bar carries ``data-task-id`` and a
``<title>`` (the tooltip).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

PHASE_ORDER = ("documents", "registration", "review", "launch")

LABEL_WIDTH = 250
HEADER_HEIGHT = 44
ROW_HEIGHT = 26
PHASE_HEIGHT = 22
BAR_HEIGHT = 14
PAD_DAYS = 2
# How far past the plan the chart stretches to show today's line; further and the line is left
# out rather than squeezing the plan into a corner.
TODAY_REACH_DAYS = 60

FINISHED = frozenset({"done", "skipped"})


@dataclass
class GanttTask:
    pk: int
    key: str
    title: str
    phase: str
    status: str
    start_date: dt.date | None
    due_date: dt.date | None
    depends_on: list[int] = field(default_factory=list)
    position: int = 0

    @classmethod
    def from_task(cls, task) -> GanttTask:
        deps = getattr(task, "dependency_list", None)
        dep_ids = [d.pk for d in deps] if deps is not None else []
        return cls(
            pk=task.pk,
            key=task.key,
            title=task.display_title,
            phase=task.phase,
            status=task.status,
            start_date=task.start_date,
            due_date=task.due_date,
            depends_on=dep_ids,
            position=getattr(task, "position", 0),
        )


@dataclass
class GanttChart:
    svg: SafeString  # the chart: grid, bars, arrows, today
    labels_svg: SafeString  # the phase and task names, as tall as the chart
    width: int
    height: int
    bar_count: int
    first_day: dt.date | None
    last_day: dt.date | None
    today_shown: bool
    late_count: int
    draggable: bool = False


def _text_width(text: str, size: float = 11) -> float:
    """Rough rendered width: CJK and other wide characters take a full em, the rest about 0.6."""
    return sum(
        size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.6 for ch in text
    )


def _fit(text: str, max_px: float, size: float = 11) -> str:
    if _text_width(text, size) <= max_px:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > max_px:
            break
        out += ch
    return out + "…"


def _day_width(days: int) -> int:
    if days <= 45:
        return 28
    if days <= 100:
        return 18
    if days <= 200:
        return 10
    return 6


def bar_state(task: GanttTask, today: dt.date) -> str:
    """done | skipped | late | awaiting | active | todo — the bar's colour class."""
    if task.status in FINISHED:
        return task.status
    if task.due_date is not None and task.due_date < today:
        return "late"
    if task.status == "awaiting_approval":
        return "awaiting"
    if task.status == "in_progress":
        return "active"
    return "todo"


@dataclass
class _Span:
    """The days the chart covers and how wide a day is drawn."""

    first: dt.date
    last: dt.date
    day_w: int
    today_shown: bool

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def width(self) -> int:
        return self.days * self.day_w

    def x_of(self, day: dt.date) -> float:
        return (day - self.first).days * self.day_w


@dataclass
class _Row:
    kind: str  # "phase" | "task"
    item: object  # the phase name or the GanttTask
    y: float


_STYLE = (
    "<style>"
    ".ls-gantt-bar rect{fill:#8fb3e0;stroke:#3d6fb3;stroke-width:1}"
    ".ls-gantt-active rect{fill:#3d8bfd;stroke:#0a58ca}"
    ".ls-gantt-awaiting rect{fill:#ffc107;stroke:#cc9a06}"
    ".ls-gantt-late rect{fill:#dc3545;stroke:#a52834}"
    ".ls-gantt-done rect,.ls-gantt-skipped rect{fill:#ced4da;stroke:#adb5bd}"
    ".ls-gantt-skipped rect{stroke-dasharray:3 2}"
    ".ls-gantt-undated rect{fill:#fff;stroke:#6c757d;stroke-dasharray:3 2}"
    ".ls-gantt-bar a:hover rect{stroke:#212529;stroke-width:2}"
    ".ls-gantt-svg text{font-size:11px;font-family:system-ui,-apple-system,'Segoe UI','PingFang SC',"
    "'Microsoft YaHei',sans-serif}"
    "</style>"
)
_ARROW_MARKER = (
    '<defs><marker id="ls-arrow" viewBox="0 0 8 8" refX="7" refY="4" '
    'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
    '<path d="M0,0 L8,4 L0,8 z" fill="#6c757d"/></marker></defs>'
)


def _sorted_items(tasks: Iterable) -> list[GanttTask]:
    items = [t if isinstance(t, GanttTask) else GanttTask.from_task(t) for t in tasks]
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    items.sort(key=lambda t: (order.get(t.phase, len(order)), t.position, t.pk))
    return items


def _span(items: list[GanttTask], today: dt.date) -> _Span:
    """The plan's dates padded by PAD_DAYS, stretched to today when today is within reach."""
    dates = [d for t in items for d in (t.start_date, t.due_date) if d is not None]
    if dates:
        first, last = min(dates), max(dates)
    else:
        first = last = today
    first -= dt.timedelta(days=PAD_DAYS)
    last += dt.timedelta(days=PAD_DAYS)
    today_shown = (
        first - dt.timedelta(days=TODAY_REACH_DAYS)
        <= today
        <= last + dt.timedelta(days=TODAY_REACH_DAYS)
    )
    if today_shown:
        first = min(first, today - dt.timedelta(days=1))
        last = max(last, today + dt.timedelta(days=1))
    return _Span(
        first=first,
        last=last,
        day_w=_day_width((last - first).days + 1),
        today_shown=today_shown,
    )


def _rows(items: list[GanttTask]) -> tuple[list[_Row], int]:
    """A label row per phase present, then its tasks; and the chart's height."""
    rows: list[_Row] = []
    y = HEADER_HEIGHT
    current_phase = None
    for t in items:
        if t.phase != current_phase:
            current_phase = t.phase
            rows.append(_Row("phase", t.phase, y))
            y += PHASE_HEIGHT
        rows.append(_Row("task", t, y))
        y += ROW_HEIGHT
    return rows, int(y + 8)


def _svg_open(span: _Span, height: int) -> str:
    width = span.width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ls-gantt-svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Gantt chart"))}" data-day-width="{span.day_w}">'
        + _STYLE
        + _ARROW_MARKER
    )


def _day_column(span: _Span, i: int, height: int) -> list[str]:
    """Day ``i`` of the grid: shaded on weekends, a line on Mondays, its month and day number."""
    day = span.first + dt.timedelta(days=i)
    day_w = span.day_w
    x = i * day_w
    out: list[str] = []
    if day.weekday() >= 5:
        out.append(
            f'<rect x="{x}" y="{HEADER_HEIGHT}" width="{day_w}" '
            f'height="{height - HEADER_HEIGHT}" fill="#f3f4f6"/>'
        )
    if day.weekday() == 0 or i == 0:
        out.append(
            f'<line x1="{x}" y1="{HEADER_HEIGHT - 18}" x2="{x}" y2="{height}" '
            'stroke="#dee2e6" stroke-width="1"/>'
        )
    if _month_label_at(span, i, day):
        out.append(
            f'<text x="{x + 3}" y="14" fill="#495057" font-weight="600">'
            f"{day.year}-{day.month:02d}</text>"
        )
    if day_w >= 18:
        out.append(
            f'<text x="{x + day_w / 2}" y="{HEADER_HEIGHT - 6}" fill="#6c757d" '
            f'text-anchor="middle">{day.day}</text>'
        )
    elif day.weekday() == 0:
        out.append(f'<text x="{x + 2}" y="{HEADER_HEIGHT - 6}" fill="#6c757d">{day.day}</text>')
    return out


def _month_label_at(span: _Span, i: int, day: dt.date) -> bool:
    """On the 1st of a month, and on the first day unless its month ends within three days."""
    month_fits = i * span.day_w + 60 <= span.width  # "2026-11" needs about 50 px
    days = span.days
    first_label = i == 0 and (days < 4 or (span.first + dt.timedelta(days=3)).month == day.month)
    return month_fits and (day.day == 1 or first_label)


def _grid(span: _Span, rows: list[_Row], height: int) -> list[str]:
    """The day grid (weekends shaded, a line at each Monday, month labels and day numbers) and
    the phase bands."""
    width = span.width
    out = ['<g class="ls-gantt-grid">']
    for i in range(span.days):
        out.extend(_day_column(span, i, height))
    out.append(
        f'<line x1="0" y1="{HEADER_HEIGHT}" x2="{width}" y2="{HEADER_HEIGHT}" stroke="#adb5bd"/>'
    )
    out.extend(
        f'<rect x="0" y="{row.y}" width="{width}" height="{PHASE_HEIGHT}" fill="#e9eef5"/>'
        for row in rows
        if row.kind == "phase"
    )
    out.append("</g>")
    return out


def _bar_tip(
    t: GanttTask, state: str, undated: bool, today: dt.date, status_labels: dict[str, str]
) -> str:
    tip = f"{t.title} ({t.key}) · {status_labels.get(t.status, t.status)}"
    if undated:
        return tip + " · " + _("no dates")
    tip += f" · {t.start_date or '—'} → {t.due_date or '—'}"
    if state == "late":
        tip += " · " + _("%(n)d days late") % {"n": (today - t.due_date).days}
    return tip


def _bar_days(t: GanttTask, today: dt.date) -> tuple[dt.date, dt.date, bool]:
    """(start, end, undated): a task with one date is a day's bar, one with none sits on today."""
    start = t.start_date or t.due_date
    due = t.due_date or t.start_date
    undated = start is None
    if undated:
        start = due = today
    if due < start:
        start, due = due, start
    return start, due, undated


def _bar(
    t: GanttTask,
    y: float,
    span: _Span,
    *,
    today: dt.date,
    status_labels: dict[str, str],
    link: Callable[[int], str] | None,
    draggable: bool,
) -> tuple[str, tuple[float, float, float], str]:
    """The bar of one task, its geometry (x start, x end, y middle) and its state."""
    start, due, undated = _bar_days(t, today)
    x1 = span.x_of(start)
    x2 = max(span.x_of(due), x1 + span.day_w / 2)
    ymid = y + ROW_HEIGHT / 2
    state = "undated" if undated else bar_state(t, today)
    tip = _bar_tip(t, state, undated, today, status_labels)
    href = link(t.pk) if link else None
    drag = draggable and not undated and t.status not in FINISHED and t.due_date is not None
    dates = f' data-due="{t.due_date.isoformat()}"' if t.due_date else ""
    rect = (
        f'<rect x="{x1:.1f}" y="{ymid - BAR_HEIGHT / 2}" width="{x2 - x1:.1f}" '
        f'height="{BAR_HEIGHT}" rx="3"/>'
    )
    if href:
        rect = f'<a href="{escape(href)}">{rect}</a>'
    svg = (
        f'<g class="ls-gantt-bar ls-gantt-{state}{" ls-gantt-draggable" if drag else ""}" '
        f'data-task-id="{t.pk}" data-state="{state}"{dates}>'
        f"<title>{escape(tip)}</title>{rect}</g>"
    )
    return svg, (x1, x2, ymid), state


def _bars(
    rows: list[_Row],
    span: _Span,
    *,
    today: dt.date,
    status_labels: dict[str, str],
    link: Callable[[int], str] | None,
    draggable: bool,
) -> tuple[list[str], dict[int, tuple[float, float, float]], int]:
    """The bars, each task's geometry by pk (x start, x end, y middle), and how many are late."""
    geometry: dict[int, tuple[float, float, float]] = {}
    late = 0
    out = ['<g class="ls-gantt-bars">']
    for row in rows:
        if row.kind != "task":
            continue
        svg, geometry[row.item.pk], state = _bar(
            row.item,
            row.y,
            span,
            today=today,
            status_labels=status_labels,
            link=link,
            draggable=draggable,
        )
        if state == "late":
            late += 1
        out.append(svg)
    out.append("</g>")
    return out, geometry, late


def _arrow_path(dep: tuple[float, float, float], task: tuple[float, float, float]) -> str:
    """From the end of the dependency to the start of the dependant, round the back when they
    overlap."""
    _dx1, dx2, dy = dep
    tx1, _tx2, ty = task
    if tx1 - dx2 >= 8:
        return f"M{dx2:.1f},{dy} H{dx2 + 4:.1f} V{ty} H{tx1:.1f}"
    mid_y = ty - ROW_HEIGHT / 2 if ty > dy else ty + ROW_HEIGHT / 2
    return f"M{dx2:.1f},{dy} H{dx2 + 4:.1f} V{mid_y} H{tx1 - 6:.1f} V{ty} H{tx1:.1f}"


def _dependency_arrows(
    items: list[GanttTask], geometry: dict[int, tuple[float, float, float]]
) -> list[str]:
    out = ['<g class="ls-gantt-deps" fill="none" stroke="#6c757d" stroke-width="1.2">']
    for t in items:
        if t.pk not in geometry:
            continue
        for dep_id in t.depends_on:
            if dep_id not in geometry:
                continue
            d = _arrow_path(geometry[dep_id], geometry[t.pk])
            out.append(
                f'<path class="ls-gantt-dep" data-from="{dep_id}" data-to="{t.pk}" d="{d}" '
                'marker-end="url(#ls-arrow)"/>'
            )
    out.append("</g>")
    return out


def _today_line(span: _Span, today: dt.date, height: int) -> str:
    x = span.x_of(today)
    return (
        f'<g class="ls-gantt-today"><line x1="{x}" y1="{HEADER_HEIGHT - 4}" x2="{x}" '
        f'y2="{height}" stroke="#dc3545" stroke-width="1.5" stroke-dasharray="4 3"/>'
        f'<text x="{x + 3}" y="{HEADER_HEIGHT - 24}" fill="#dc3545" font-weight="600">'
        f"{escape(_('Today'))}</text></g>"
    )


def _row_label(row: _Row, phase_labels: dict[str, str]) -> str:
    if row.kind == "phase":
        phase = row.item
        return (
            f'<rect x="0" y="{row.y}" width="{LABEL_WIDTH}" height="{PHASE_HEIGHT}" '
            'fill="#e9eef5"/>'
            f'<text class="ls-gantt-phase" data-phase="{escape(phase)}" x="6" '
            f'y="{row.y + PHASE_HEIGHT - 7}" font-weight="600" fill="#1f3a5f">'
            f"{escape(phase_labels.get(phase, phase))}</text>"
        )
    t = row.item
    return (
        f'<text class="ls-gantt-label" data-task-id="{t.pk}" x="14" '
        f'y="{row.y + ROW_HEIGHT / 2 + 4}" fill="#212529">'
        f"<title>{escape(t.title)}</title>"
        f"{escape(_fit(t.title, LABEL_WIDTH - 22))}</text>"
    )


def _labels(rows: list[_Row], height: int, phase_labels: dict[str, str]) -> str:
    """The phase and task names, in an SVG of their own that stays put while the chart scrolls
    sideways."""
    labels: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ls-gantt-svg ls-gantt-labels" '
        f'width="{LABEL_WIDTH}" height="{height}" viewBox="0 0 {LABEL_WIDTH} {height}" '
        'aria-hidden="true">',
        f'<line x1="0" y1="{HEADER_HEIGHT}" x2="{LABEL_WIDTH}" y2="{HEADER_HEIGHT}" '
        'stroke="#adb5bd"/>',
        f'<text x="6" y="{HEADER_HEIGHT - 6}" fill="#6c757d" font-weight="600">'
        f"{escape(_('Task'))}</text>",
    ]
    labels.extend(_row_label(row, phase_labels) for row in rows)
    labels.append("</svg>")
    return "".join(labels)


def render_gantt(
    tasks: Iterable,
    *,
    today: dt.date,
    phase_labels: dict[str, str] | None = None,
    status_labels: dict[str, str] | None = None,
    link: Callable[[int], str] | None = None,
    draggable: bool = False,
) -> GanttChart:
    """The SVG chart of ``tasks`` (Task models or ``GanttTask``) as seen on ``today``.
    ``draggable``: the bars of open, dated tasks can be dragged to a new due date (the page's
    script previews what moves with them and asks before moving anything)."""
    items = _sorted_items(tasks)
    span = _span(items, today)
    rows, height = _rows(items)
    bars, geometry, late = _bars(
        rows,
        span,
        today=today,
        status_labels=status_labels or {},
        link=link,
        draggable=draggable,
    )
    out = [
        _svg_open(span, height),
        *_grid(span, rows, height),
        *bars,
        *_dependency_arrows(items, geometry),
    ]
    if span.today_shown:
        out.append(_today_line(span, today, height))
    out.append("</svg>")
    return GanttChart(
        svg=mark_safe("".join(out)),  # every interpolated text is escaped in the parts
        labels_svg=mark_safe(_labels(rows, height, phase_labels or {})),
        width=span.width,
        height=height,
        bar_count=len(geometry),
        first_day=span.first,
        last_day=span.last,
        today_shown=span.today_shown,
        late_count=late,
        draggable=draggable,
    )
