"""The Gantt chart is a pure function of the tasks and today: one bar per task, arrows from a
dependency's end to its dependant's start, a today line, late tasks red, finished ones grey."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from linkstar.projects.gantt import (
    GanttTask,
    bar_state,
    render_gantt,
)

D = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _english():
    """These tests read the bars' English labels."""
    with translation.override("en"):
        yield


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def plan() -> list[GanttTask]:
    return [
        GanttTask(1, "collect", "Collect documents", "documents", "done", day(0), day(2)),
        GanttTask(2, "check", "Check the pack", "documents", "in_progress", day(2), day(3), [1]),
        GanttTask(3, "submit", "Submit", "registration", "todo", day(3), day(4), [2]),
        GanttTask(4, "wait", "Wait for review", "review", "skipped", day(4), day(7), [3]),
        GanttTask(5, "live", "Go live", "launch", "awaiting_approval", day(7), day(8), [3, 4]),
    ]


def bars(svg: str) -> dict[int, dict]:
    found = {}
    for m in re.finditer(
        r'<g class="ls-gantt-bar ls-gantt-(\w+)[^"]*" data-task-id="(\d+)" data-state="\w+"[^>]*>'
        r"<title>(.*?)</title>.*?<rect x=\"([\d.]+)\" y=\"([\d.]+)\" width=\"([\d.]+)\"",
        svg,
    ):
        found[int(m[2])] = {
            "state": m[1],
            "title": m[3],
            "x": float(m[4]),
            "y": float(m[5]),
            "width": float(m[6]),
        }
    return found


def test_one_bar_per_task_each_with_its_id_and_a_title():
    chart = render_gantt(plan(), today=day(3))
    found = bars(chart.svg)
    assert sorted(found) == [1, 2, 3, 4, 5]
    assert chart.bar_count == 5
    assert chart.svg.count("<title>") == 5
    assert "Check the pack (check)" in found[2]["title"]
    assert "2026-11-04 → 2026-11-05" in found[2]["title"]


def test_bars_run_from_start_to_due_on_one_scale():
    chart = render_gantt(plan(), today=day(3))
    found = bars(chart.svg)
    day_width = found[1]["width"] / 2  # collect: two days
    assert found[3]["width"] == pytest.approx(day_width)
    assert found[4]["width"] == pytest.approx(3 * day_width)
    assert found[2]["x"] == pytest.approx(found[1]["x"] + 2 * day_width)
    assert min(b["x"] for b in found.values()) == pytest.approx(2 * day_width)  # padding
    # Rows go down the page in plan order.
    assert [found[i]["y"] for i in range(1, 6)] == sorted(found[i]["y"] for i in range(1, 6))


def test_dependency_arrows_go_from_the_end_of_a_dependency_to_the_start_of_its_dependant():
    chart = render_gantt(plan(), today=day(3))
    found = bars(chart.svg)
    arrows = re.findall(
        r'data-from="(\d+)" data-to="(\d+)" d="M([\d.]+),[\d.]+ [^"]* H([\d.]+)"', chart.svg
    )
    assert {(int(a), int(b)) for a, b, *_ in arrows} == {(1, 2), (2, 3), (3, 4), (3, 5), (4, 5)}
    for src, dst, x_from, x_to in arrows:
        source, target = found[int(src)], found[int(dst)]
        assert float(x_from) == pytest.approx(source["x"] + source["width"], abs=0.1)
        assert float(x_to) == pytest.approx(target["x"], abs=0.1)
    assert chart.svg.count('marker-end="url(#ls-arrow)"') == 5


def test_late_open_tasks_are_red_and_finished_ones_grey():
    chart = render_gantt(plan(), today=day(6))
    states = {pk: b["state"] for pk, b in bars(chart.svg).items()}
    assert states == {1: "done", 2: "late", 3: "late", 4: "skipped", 5: "awaiting"}
    assert chart.late_count == 2
    assert "2 days late" in bars(chart.svg)[3]["title"]
    assert ".ls-gantt-late rect{fill:#dc3545" in chart.svg


def test_bar_state_of_a_task_due_today_is_not_late():
    t = GanttTask(1, "k", "T", "documents", "todo", day(0), day(3))
    assert bar_state(t, day(3)) == "todo"
    assert bar_state(t, day(4)) == "late"


def test_the_today_line_is_drawn_where_today_is():
    chart = render_gantt(plan(), today=day(3))
    found = bars(chart.svg)
    x = float(re.search(r'<g class="ls-gantt-today"><line x1="([\d.]+)"', chart.svg)[1])
    assert x == pytest.approx(found[3]["x"])  # submit starts today
    assert chart.today_shown


def test_today_far_outside_the_plan_is_left_out_rather_than_squeezing_the_plan():
    chart = render_gantt(plan(), today=day(400))
    assert not chart.today_shown
    assert "ls-gantt-today" not in chart.svg
    assert chart.width < 1000


def test_phase_labels_head_their_tasks():
    chart = render_gantt(
        plan(),
        today=day(3),
        phase_labels={"documents": "资料准备", "registration": "注册提交", "review": "审核"},
    )
    phases = re.findall(r'data-phase="(\w+)"[^>]*>([^<]+)</text>', chart.labels_svg)
    assert phases == [
        ("documents", "资料准备"),
        ("registration", "注册提交"),
        ("review", "审核"),
        ("launch", "launch"),
    ]


def test_tasks_are_ordered_by_phase_even_when_given_out_of_order():
    tasks = list(reversed(plan()))
    found = bars(render_gantt(tasks, today=day(3)).svg)
    assert [pk for pk, _ in sorted(found.items(), key=lambda kv: kv[1]["y"])] == [1, 2, 3, 4, 5]


def test_long_plans_get_narrower_days_and_the_chart_scrolls():
    tasks = [
        GanttTask(i, f"t{i}", f"Task {i}", "documents", "todo", day(i * 10), day(i * 10 + 5))
        for i in range(30)
    ]
    chart = render_gantt(tasks, today=day(0))
    assert chart.bar_count == 30
    assert chart.width > 1366  # wider than the screen: the page wraps it in a scroll box
    found = bars(chart.svg)
    assert found[0]["width"] == pytest.approx(5 * 6)  # 300 days: 6 px a day


def test_text_is_escaped_and_long_titles_are_shortened():
    tasks = [
        GanttTask(
            1,
            "x",
            "<script>alert(1)</script>" + "很长的任务名称" * 10,
            "documents",
            "todo",
            day(0),
            day(1),
        )
    ]
    chart = render_gantt(tasks, today=day(0), link=lambda pk: f"/o/acme/tasks/{pk}/?a=1&b=2")
    assert "<script>" not in chart.svg + chart.labels_svg
    assert "&lt;script&gt;" in chart.svg and "&lt;script&gt;" in chart.labels_svg
    assert 'href="/o/acme/tasks/1/?a=1&amp;b=2"' in chart.svg
    label = re.search(
        r'class="ls-gantt-label"[^>]*><title>[^<]*</title>([^<]*)</text>', chart.labels_svg
    )[1]
    assert label.endswith("…") and len(label) < 60


def test_a_task_without_dates_still_gets_one_bar():
    tasks = [
        *plan(),
        GanttTask(9, "later", "Decide later", "launch", "todo", None, None),
        GanttTask(10, "due-only", "Due only", "launch", "todo", None, day(5)),
    ]
    chart = render_gantt(tasks, today=day(3))
    found = bars(chart.svg)
    assert found[9]["state"] == "undated" and "no dates" in found[9]["title"]
    assert found[10]["state"] == "todo"
    assert chart.bar_count == 7


def test_an_empty_plan_is_an_empty_chart():
    chart = render_gantt([], today=day(0))
    assert chart.bar_count == 0 and chart.svg.startswith("<svg")
    assert chart.labels_svg.startswith("<svg")


@pytest.mark.django_db
def test_real_tasks_render_with_their_dependencies(project):
    from linkstar.projects.selectors import project_plan
    from tests.support.seed import actor_of

    tasks = project_plan(actor=actor_of(project.organization, project.manager), project=project)
    chart = render_gantt(tasks, today=project.start_date)
    assert chart.bar_count == len(tasks) == 21
    deps = sum(len(t.dependency_list) for t in tasks)
    assert chart.svg.count('class="ls-gantt-dep"') == deps
