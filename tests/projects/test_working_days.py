"""Computed dates count the organization's working days (issue 14 §1): creation, the template
upgrade, the reschedule cascade. The expected dates are written out by hand from a calendar of
the month, not computed with the rules under test."""

from __future__ import annotations

import datetime as dt

from linkstar.accounts.workcalendar import update_work_calendar
from linkstar.projects.services import bulk_update_tasks, create_project, reschedule_task
from linkstar.projects.services.upgrade import upgrade_project
from tests.support.seed import MINI_TASKS, NEW_TASK, changed_mini_tasks, publish_next
from tests.support.seed import PROJECT_START as START

D = dt.date


def _mini(as_bob, mini_template, entity, start, name="Working Days Shop"):
    return create_project(
        actor=as_bob,
        template_id=mini_template.pk,
        store_name=name,
        entity_id=entity.pk,
        start_date=start,
    )


def _dates(project) -> dict[str, tuple[dt.date, dt.date]]:
    return {t.key: (t.start_date, t.due_date) for t in project.tasks.all()}


def test_the_mini_plan_counts_monday_to_friday(china_calendar, as_bob, mini_template, entity):
    # START is Monday 2 November 2026, an ordinary week (no holiday in November).
    assert dt.date(2026, 11, 2) == START
    assert [bp["offset_days"] for bp in MINI_TASKS] == [0, 2, 3, 4, 1]
    project = _mini(as_bob, mini_template, entity, START)
    assert _dates(project) == {
        "collect": (D(2026, 11, 2), D(2026, 11, 4)),  # offset 0, 2 days: Mon → Wed
        "announce": (D(2026, 11, 3), D(2026, 11, 4)),  # offset 1, 1 day
        "check": (D(2026, 11, 4), D(2026, 11, 5)),  # offset 2, 1 day
        "submit": (D(2026, 11, 5), D(2026, 11, 6)),  # offset 3, 1 day: due Friday
        "go-live": (D(2026, 11, 6), D(2026, 11, 11)),  # offset 4, 3 days over the weekend
    }
    assert project.planned_finish == D(2026, 11, 11)
    assert project.start_date == START


def test_a_plan_started_before_spring_festival_2026_resumes_after_it(
    china_calendar, as_bob, mini_template, entity
):
    # Thursday 12 February 2026; Saturday 14 and Saturday 28 are make-up working days, 15–23
    # February is the holiday.
    project = _mini(as_bob, mini_template, entity, D(2026, 2, 12))
    assert _dates(project) == {
        "collect": (D(2026, 2, 12), D(2026, 2, 14)),
        "announce": (D(2026, 2, 13), D(2026, 2, 14)),
        "check": (D(2026, 2, 14), D(2026, 2, 24)),
        "submit": (D(2026, 2, 24), D(2026, 2, 25)),
        "go-live": (D(2026, 2, 25), D(2026, 2, 28)),
    }
    assert project.planned_finish == D(2026, 2, 28)


def test_a_project_started_on_a_saturday_has_its_first_task_on_monday(
    china_calendar, as_bob, mini_template, entity
):
    project = _mini(as_bob, mini_template, entity, D(2026, 11, 7))
    assert project.start_date == D(2026, 11, 7)
    assert _dates(project)["collect"] == (D(2026, 11, 9), D(2026, 11, 11))


def test_an_organization_working_six_days_counts_saturdays(
    china_calendar, as_alice, as_bob, mini_template, entity
):
    update_work_calendar(actor=as_alice, weekdays=[0, 1, 2, 3, 4, 5])
    project = _mini(as_bob, mini_template, entity, START)
    assert _dates(project)["go-live"] == (D(2026, 11, 6), D(2026, 11, 10))  # Sat 7 works


def test_an_own_holiday_moves_the_plan(china_calendar, as_alice, as_bob, mini_template, entity):
    update_work_calendar(
        actor=as_alice, exceptions=[{"date": "2026-11-03", "kind": "holiday", "name": "团建"}]
    )
    project = _mini(as_bob, mini_template, entity, START)
    assert _dates(project)["collect"] == (D(2026, 11, 2), D(2026, 11, 5))


def test_a_batch_of_projects_gets_the_same_working_day_dates(
    china_calendar, as_bob, mini_template, entity
):
    first = _mini(as_bob, mini_template, entity, START, name="One")
    second = _mini(as_bob, mini_template, entity, START, name="Two")
    assert _dates(first) == _dates(second)


def test_the_upgrade_dates_new_and_changed_steps_in_working_days(
    china_calendar, as_alice, as_bob, mini_template, entity, task_of
):
    project = _mini(as_bob, mini_template, entity, START)
    tasks = changed_mini_tasks(check={"duration_days": 4}, announce=None)
    tasks.insert(2, NEW_TASK)  # offset 5, 2 days
    v2 = publish_next(as_alice, mini_template, tasks)
    upgrade_project(actor=as_bob, project=project, version=v2)
    new = task_of(project, "tax-interview")
    assert (new.start_date, new.due_date) == (D(2026, 11, 9), D(2026, 11, 11))
    check = task_of(project, "check")
    assert (check.start_date, check.due_date) == (D(2026, 11, 4), D(2026, 11, 10))
    project.refresh_from_db()
    assert project.planned_finish == D(2026, 11, 11)


def test_a_due_date_moved_one_working_day_moves_the_next_task_one_working_day(
    china_calendar, as_bob, mini_template, entity, task_of
):
    project = _mini(as_bob, mini_template, entity, START)
    submit = task_of(project, "submit")  # Thu 5 → Fri 6; go-live starts Fri 6, due Wed 11
    moves = reschedule_task(actor=as_bob, task=submit, due_date=D(2026, 11, 9))  # Monday
    go_live = task_of(project, "go-live")
    # Friday 6 → Monday 9 is one working day: go-live moves by one working day.
    assert (go_live.start_date, go_live.due_date) == (D(2026, 11, 9), D(2026, 11, 12))
    assert [m.task.key for m in moves] == ["submit", "go-live"]


def test_with_every_day_working_the_plan_is_the_calendar_days_it_always_was(
    as_bob, mini_template, entity
):
    # The test organization's own calendar (tests/conftest.py): every day works.
    project = _mini(as_bob, mini_template, entity, START)
    assert _dates(project)["go-live"] == (
        START + dt.timedelta(days=4),
        START + dt.timedelta(days=7),
    )


def test_the_bulk_move_counts_working_days_when_asked(
    china_calendar, as_bob, mini_template, entity, task_of
):
    project = _mini(as_bob, mini_template, entity, START)
    submit = task_of(project, "submit")  # due Friday 6 November
    bulk_update_tasks(
        actor=as_bob, action="move_due", task_ids=[submit.pk], days=1, working_days=True
    )
    assert task_of(project, "submit").due_date == D(2026, 11, 9)  # Monday
    bulk_update_tasks(actor=as_bob, action="move_due", task_ids=[submit.pk], days=-1)
    assert task_of(project, "submit").due_date == D(2026, 11, 8)  # calendar days: Sunday
