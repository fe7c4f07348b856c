"""Dates that hold together (issue 14 §1): a task is never due before a task it depends on, and
moving a due date later moves the open later tasks — as far as they must — in one change, after
a preview; through the service and the API."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, InvalidInput, PermissionDenied
from linkstar.projects.models import Task
from linkstar.projects.services import plan_reschedule, reschedule_task, update_task

pytestmark = pytest.mark.django_db

D = dt.date


def _dates(project) -> dict[str, tuple]:
    return {
        t.key: (t.start_date, t.due_date)
        for t in Task.objects.filter(project=project).order_by("position")
    }


def test_the_plan_starts_as_the_template_says(mini_project):
    assert _dates(mini_project) == {
        "collect": (D(2026, 11, 2), D(2026, 11, 4)),
        "check": (D(2026, 11, 4), D(2026, 11, 5)),
        "submit": (D(2026, 11, 5), D(2026, 11, 6)),
        "go-live": (D(2026, 11, 6), D(2026, 11, 9)),
        "announce": (D(2026, 11, 3), D(2026, 11, 4)),
    }


def test_a_later_due_date_moves_the_chain_after_it(mini_project, as_bob, task_of):
    collect = task_of(mini_project, "collect")
    preview = plan_reschedule(collect, due_date=D(2026, 11, 7))
    assert [(m.task.key, m.days) for m in preview] == [
        ("collect", 3),
        ("check", 3),
        ("submit", 3),
        ("go-live", 3),
    ]
    assert _dates(mini_project)["check"] == (D(2026, 11, 4), D(2026, 11, 5))  # nothing written
    reschedule_task(actor=as_bob, task=collect, due_date=D(2026, 11, 7))
    assert _dates(mini_project) == {
        "collect": (D(2026, 11, 2), D(2026, 11, 7)),
        "check": (D(2026, 11, 7), D(2026, 11, 8)),
        "submit": (D(2026, 11, 8), D(2026, 11, 9)),
        "go-live": (D(2026, 11, 9), D(2026, 11, 12)),
        "announce": (D(2026, 11, 3), D(2026, 11, 4)),
    }
    moved = AuditEvent.objects.filter(action="task.updated").order_by("id")
    assert [e.changes.get("moved_with", {}).get("after") for e in moved] == [
        None,
        "Collect documents",
        "Collect documents",
        "Collect documents",
    ]


def test_a_later_task_with_slack_keeps_its_dates(mini_project, as_bob, task_of):
    Task.objects.filter(project=mini_project, key="go-live").update(
        start_date=D(2026, 11, 20), due_date=D(2026, 11, 25)
    )
    moves = reschedule_task(
        actor=as_bob, task=task_of(mini_project, "collect"), due_date=D(2026, 11, 6)
    )
    assert [m.task.key for m in moves] == ["collect", "check", "submit"]
    assert _dates(mini_project)["go-live"] == (D(2026, 11, 20), D(2026, 11, 25))


def test_a_finished_later_task_keeps_its_dates_and_is_listed_as_kept(mini_project, as_bob, task_of):
    Task.objects.filter(project=mini_project, key="check").update(status="done")
    preview = plan_reschedule(task_of(mini_project, "collect"), due_date=D(2026, 11, 7))
    assert [(m.task.key, m.kept) for m in preview] == [("collect", False), ("check", True)]
    reschedule_task(actor=as_bob, task=task_of(mini_project, "collect"), due_date=D(2026, 11, 7))
    assert _dates(mini_project)["check"] == (D(2026, 11, 4), D(2026, 11, 5))


def test_an_earlier_due_date_moves_nothing_else(mini_project, as_bob, task_of):
    before = _dates(mini_project)
    moves = reschedule_task(
        actor=as_bob, task=task_of(mini_project, "go-live"), due_date=D(2026, 11, 8)
    )
    assert [m.task.key for m in moves] == ["go-live"]
    assert {k: v for k, v in _dates(mini_project).items() if k != "go-live"} == {
        k: v for k, v in before.items() if k != "go-live"
    }


def test_a_task_cannot_be_due_before_a_task_it_depends_on(mini_project, as_bob, task_of):
    check = task_of(mini_project, "check")
    for attempt in (
        lambda: update_task(actor=as_bob, task=check, due_date=D(2026, 11, 3)),
        lambda: reschedule_task(actor=as_bob, task=check, due_date=D(2026, 11, 3)),
    ):
        with pytest.raises(InvalidInput) as caught:
            attempt()
        assert caught.value.errors[0].field == "due_date"
        assert "Collect documents" in str(caught.value.errors[0].message)
    assert _dates(mini_project)["check"] == (D(2026, 11, 4), D(2026, 11, 5))


def test_a_single_edit_that_would_move_later_tasks_asks_for_the_reschedule(
    mini_project, as_bob, task_of
):
    before = _dates(mini_project)
    with pytest.raises(Conflict) as caught:
        update_task(
            actor=as_bob,
            task=task_of(mini_project, "collect"),
            due_date=D(2026, 11, 7),
            keep_plan_together=True,
        )
    assert caught.value.code == "later_tasks_move"
    assert _dates(mini_project) == before
    # within the slack it is an ordinary edit
    update_task(actor=as_bob, task=task_of(mini_project, "announce"), due_date=D(2026, 11, 10))
    assert _dates(mini_project)["announce"][1] == D(2026, 11, 10)


def test_only_the_manager_reschedules(mini_project, as_carol, task_of):
    with pytest.raises(PermissionDenied):
        reschedule_task(
            actor=as_carol, task=task_of(mini_project, "collect"), due_date=D(2026, 11, 7)
        )


def test_the_api_previews_and_applies_the_move(api, bob, carol, mini_project, task_of):
    collect = task_of(mini_project, "collect")
    url = f"/orgs/acme/tasks/{collect.pk}/reschedule"
    preview = api(bob).get(url, due_date="2026-11-07").json()
    assert [(m["key"], m["days"]) for m in preview["moves"]] == [
        ("collect", 3),
        ("check", 3),
        ("submit", 3),
        ("go-live", 3),
    ]
    assert api(carol).post(url, {"due_date": "2026-11-07"}).status_code == 403
    answer = api(bob).post(url, {"due_date": "2026-11-07", "version": collect.version})
    assert answer.status_code == 200, answer.content
    assert task_of(mini_project, "go-live").due_date == D(2026, 11, 12)
    # the API's PATCH moves the one task, as it always did
    alone = api(bob).patch(
        f"/orgs/acme/tasks/{collect.pk}", {"due_date": "2026-11-20", "version": collect.version + 1}
    )
    assert alone.status_code == 200, alone.content
    assert task_of(mini_project, "check").due_date == D(2026, 11, 8)


def test_the_inline_edit_shows_what_moves_and_moves_it_in_one_click(bob, mini_project, task_of):
    from django.test import Client

    client = Client()
    client.force_login(bob)
    client.cookies["linkstar_language"] = "en"
    collect, check = task_of(mini_project, "collect"), task_of(mini_project, "check")
    htmx = {"HTTP_HX_REQUEST": "true"}
    edit = {"field": "due_date", "value": "2026-11-07", "version": collect.version}
    row = client.post(f"/o/acme/tasks/{collect.pk}/edit/", edit, **htmx).content.decode()
    assert "ls-reschedule" in row and f'data-moves="{check.pk}"' in row
    assert "moves 3 later tasks" in row
    assert task_of(mini_project, "check").due_date == D(2026, 11, 5)  # nothing moved yet
    page = client.post(f"/o/acme/tasks/{collect.pk}/edit/", edit)
    assert page.status_code == 409 and b"ls-reschedule" in page.content
    client.post(
        f"/o/acme/tasks/{collect.pk}/reschedule/",
        {"due_date": "2026-11-07", "version": collect.version},
        **htmx,
    )
    assert _dates(mini_project)["go-live"] == (D(2026, 11, 9), D(2026, 11, 12))


def test_the_managers_gantt_bars_drag_and_the_drag_is_previewed(bob, carol, mini_project, task_of):
    from django.test import Client

    def client_for(user):
        client = Client()
        client.force_login(user)
        client.cookies["linkstar_language"] = "en"
        return client

    gantt = f"/o/acme/projects/{mini_project.pk}/?tab=gantt"
    page = client_for(bob).get(gantt).content.decode()
    assert page.count("ls-gantt-draggable") == 5 and 'id="gantt-reschedule"' in page
    assert "ls-gantt-draggable" not in client_for(carol).get(gantt).content.decode()
    collect = task_of(mini_project, "collect")
    prompt = client_for(bob).get(
        f"/o/acme/tasks/{collect.pk}/reschedule/", {"due_date": "2026-11-07"}
    )
    text = prompt.content.decode()
    assert "moves 3 later tasks" in text and 'name="due_date" value="2026-11-07"' in text
    assert _dates(mini_project)["check"] == (D(2026, 11, 4), D(2026, 11, 5))
    refused = (
        client_for(bob)
        .get(
            f"/o/acme/tasks/{task_of(mini_project, 'check').pk}/reschedule/",
            {"due_date": "2026-11-03"},
        )
        .content.decode()
    )
    assert "ls-reschedule-error" in refused and "ls-reschedule-apply" not in refused
    moved = client_for(bob).post(
        f"/o/acme/tasks/{collect.pk}/reschedule/",
        {"due_date": "2026-11-07", "version": collect.version, "next": gantt},
    )
    assert moved.status_code == 302 and moved["Location"] == gantt
    assert _dates(mini_project)["go-live"] == (D(2026, 11, 9), D(2026, 11, 12))
