"""GET /orgs/{org}/tasks across projects (filters, visibility, paging) and
POST /orgs/{org}/tasks/bulk (issue 12 §3.2)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from linkstar.core import clock
from linkstar.projects.models import Task
from linkstar.projects.services import create_project
from tests.support.seed import PROJECT_START

BULK = "/orgs/acme/tasks/bulk"


@pytest.fixture
def canada(as_bob, mini_template, entity, carol):
    from linkstar.playbooks.models import Template

    return create_project(
        actor=as_bob,
        template_id=Template.objects.get(organization__isnull=True, key="amazon-na").pk,
        store_name="Maple",
        site="amazon-ca",
        entity_id=entity.pk,
        start_date=PROJECT_START,
        members=[carol.pk],
    )


def listed(api, user, **params) -> list[int]:
    answer = api(user).get("/orgs/acme/tasks", limit=500, **params)
    assert answer.status_code == 200, answer.content
    return [t["id"] for t in answer.json()["items"]]


def keys_of(task_ids) -> set:
    return set(Task.objects.filter(pk__in=task_ids).values_list("project__code", "key"))


def test_filters_by_site_platform_phase_key_and_assignee(api, bob, carol, mini_project, canada):
    us = mini_project.code
    assert {c for c, _ in keys_of(listed(api, bob, site="amazon-ca"))} == {canada.code}
    assert {c for c, _ in keys_of(listed(api, bob, platform="amazon"))} == {us, canada.code}
    assert keys_of(listed(api, bob, project=mini_project.pk, phase="launch")) == {
        (us, "go-live"),
        (us, "announce"),
    }
    assert keys_of(listed(api, bob, key="collect")) == {(us, "collect")}
    mine = keys_of(listed(api, bob, assignee=str(bob.pk), project=mini_project.pk))
    assert mine == {(us, "check")}
    Task.objects.filter(project=mini_project, key="announce").update(assignee=None)
    assert keys_of(listed(api, bob, assignee="none")) == {(us, "announce")}


def test_filters_by_due_range_and_overdue(api, bob, mini_project, org):
    # collect is due PROJECT_START+2, check PROJECT_START+3, submit PROJECT_START+4, announce PROJECT_START+2, go-live PROJECT_START+7
    due = listed(
        api,
        bob,
        due_after=str(PROJECT_START + dt.timedelta(days=3)),
        due_before=str(PROJECT_START + dt.timedelta(days=5)),
    )
    assert {k for _, k in keys_of(due)} == {"check", "submit"}
    with clock.frozen_at(dt.datetime(2026, 11, 6, 12, tzinfo=dt.UTC)):
        overdue = {k for _, k in keys_of(listed(api, bob, overdue="true"))}
        on_time = {k for _, k in keys_of(listed(api, bob, overdue="false"))}
    assert overdue == {"collect", "check", "announce"}
    assert on_time == {"submit", "go-live"}


def test_only_visible_tasks_are_listed(api, as_alice, bob, carol, grace, mini_project, entity):
    other = create_project(
        actor=as_alice,
        template_id=mini_project.template_version.template_id,
        store_name="Not carol's",
        entity_id=entity.pk,
        start_date=PROJECT_START,
    )
    assert {c for c, _ in keys_of(listed(api, carol))} == {mini_project.code}
    assert {c for c, _ in keys_of(listed(api, bob))} == {mini_project.code, other.code}
    assert listed(api, grace) == []  # a client of another entity


def test_the_list_pages_and_costs_a_fixed_number_of_queries(
    api, bob, mini_project, canada, django_assert_max_num_queries
):
    client = api(bob)
    with django_assert_max_num_queries(8):
        answer = client.get("/orgs/acme/tasks", limit=3, offset=2, platform="amazon")
    body = answer.json()
    assert body["count"] == 5 + canada.task_count
    assert len(body["items"]) == 3


def test_bulk_assign_answers_the_tasks(api, bob, dave, mini_project, task_of):
    chosen = [task_of(mini_project, "collect").pk, task_of(mini_project, "submit").pk]
    answer = api(bob).post(BULK, {"action": "assign", "task_ids": chosen, "assignee_id": dave.pk})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 2
    assert [t["id"] for t in body["items"]] == chosen
    assert {t["assignee_id"] for t in body["items"]} == {dave.pk}


def test_bulk_with_an_idempotency_key_is_done_once(api, bob, mini_project, task_of):
    client = api(bob)
    task = task_of(mini_project, "collect")
    body = json.dumps({"action": "move_due", "task_ids": [task.pk], "days": 2})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {client.token}", "HTTP_IDEMPOTENCY_KEY": "move-1"}
    first = client.client.post(
        "/api/v1" + BULK, data=body, content_type="application/json", **headers
    )
    again = client.client.post(
        "/api/v1" + BULK, data=body, content_type="application/json", **headers
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    task.refresh_from_db()
    assert task.due_date == PROJECT_START + dt.timedelta(days=4)  # moved once: 2 + 2


def test_bulk_refusals_map_to_403_409_422_and_404(api, carol, bob, mallory, mini_project, task_of):
    collect, check = task_of(mini_project, "collect"), task_of(mini_project, "check")
    forbidden = api(carol).post(BULK, {"action": "skip", "task_ids": [collect.pk], "reason": "x"})
    assert forbidden.status_code == 403
    waiting = api(bob).post(BULK, {"action": "start", "task_ids": [collect.pk, check.pk]})
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "dependency_not_done"
    assert "Check the pack" in waiting.json()["detail"]
    bad = api(bob).post(BULK, {"action": "move_due", "task_ids": [collect.pk]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "days"
    assert api(mallory).post(BULK, {"action": "start", "task_ids": [collect.pk]}).status_code == 404
    # one of mallory's own organization: the task is not found there
    answer = api(mallory).post(
        "/orgs/evil/tasks/bulk", {"action": "start", "task_ids": [collect.pk]}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "task_ids"
    assert Task.objects.get(pk=collect.pk).status == "todo"


def test_bulk_reopen_opens_finished_tasks_again_and_a_task_still_open_is_409(
    api, bob, mini_project, task_of
):
    announce, go_live = task_of(mini_project, "announce"), task_of(mini_project, "go-live")
    skipped = api(bob).post(BULK, {"action": "skip", "task_ids": [announce.pk], "reason": "n/a"})
    assert skipped.status_code == 200
    refused = api(bob).post(
        BULK, {"action": "reopen", "task_ids": [announce.pk, go_live.pk], "reason": "x"}
    )
    assert refused.status_code == 409 and "Go live" in refused.json()["detail"]
    no_reason = api(bob).post(BULK, {"action": "reopen", "task_ids": [announce.pk]})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    answer = api(bob).post(
        BULK, {"action": "reopen", "task_ids": [announce.pk], "reason": "平台要求补充公告"}
    )
    assert answer.status_code == 200, answer.content
    assert [t["status"] for t in answer.json()["items"]] == ["todo"]
