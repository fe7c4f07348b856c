"""The task list page (任务列表): filters, visibility, one action on the tasks ticked."""

from __future__ import annotations

import re

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import Task
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.support.clients import client_for
from tests.support.seed import PROJECT_START

URL = "/o/acme/tasks/"


def rows(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', response.content.decode())]


def test_the_navigation_links_the_task_list(bob):
    page = client_for(bob, "zh-hans").get("/o/acme/").content.decode()
    assert f'data-nav="task_list" href="{URL}">任务列表<' in page


def test_filters_narrow_the_list(bob, mini_project, task_of):
    client = client_for(bob)
    assert len(rows(client.get(URL))) == 5
    assert rows(client.get(URL, {"key": "collect"})) == [task_of(mini_project, "collect").pk]
    launch = rows(client.get(URL, {"phase": "launch", "site": "amazon-us", "platform": "amazon"}))
    assert set(launch) == {task_of(mini_project, k).pk for k in ("go-live", "announce")}
    assert rows(client.get(URL, {"q": "no such store"})) == []
    # an unknown status is ignored; a malformed date is named (issue 17 §10), not ignored
    assert client.get(URL, {"status": "bogus"}).status_code == 200
    answer = client.get(URL, {"due_after": "tomorrow", "status": "bogus"})
    assert answer.status_code == 422
    assert "due_after: Enter a date as YYYY-MM-DD." in answer.content.decode()


def test_an_operator_sees_only_the_tasks_of_her_projects(
    carol, as_alice, mini_template, mini_project, entity
):
    create_projects_batch(
        actor=as_alice,
        template_id=mini_template.pk,
        rows=[ProjectRow(store_name="Elsewhere", entity_id=entity.pk)],
        start_date=PROJECT_START,
    )
    listed = rows(client_for(carol).get(URL))
    assert set(Task.objects.filter(pk__in=listed).values_list("project_id", flat=True)) == {
        mini_project.pk
    }


def test_assigning_the_ticked_tasks(bob, dave, mini_project, task_of):
    chosen = [task_of(mini_project, "collect").pk, task_of(mini_project, "submit").pk]
    response = client_for(bob).post(
        f"{URL}?phase=documents",
        {"action": "assign", "task": chosen, "assignee_id": dave.pk, "page": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?phase=documents&page=1"
    assert set(Task.objects.filter(pk__in=chosen).values_list("assignee_id", flat=True)) == {
        dave.pk
    }
    assert AuditEvent.objects.filter(action="task.updated").count() == 2


def test_a_refusal_is_shown_in_words_and_nothing_changes(carol, mini_project, task_of):
    chosen = [task_of(mini_project, "collect").pk, task_of(mini_project, "check").pk]
    response = client_for(carol, "zh-hans").post(URL, {"action": "start", "task": chosen})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="bulk-error"' in page
    assert f"{mini_project.code} · Check the pack" in page
    assert "dependency_not_done" not in page
    # the ticks are kept
    assert page.count("checked") >= 2
    assert set(Task.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {"todo"}


def test_the_page_costs_a_fixed_number_of_queries(
    bob, as_bob, mini_template, entity, django_assert_max_num_queries
):
    create_projects_batch(
        actor=as_bob,
        template_id=mini_template.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=entity.pk) for i in range(30)],
        start_date=PROJECT_START,
    )
    client = client_for(bob)
    client.get(URL)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert len(rows(response)) == 50
    assert "Page 1 of 3" in response.content.decode()


@pytest.mark.parametrize("user", ["mallory"])
def test_another_organization_gets_404(request, user, mini_project):
    other = request.getfixturevalue(user)
    assert client_for(other).get(URL).status_code == 404


def test_an_auditor_reads_the_list_without_the_action_bar(frank, mini_project):
    response = client_for(frank).get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert len(rows(response)) == 5
    assert 'id="bulk-bar"' not in page and 'name="task"' not in page


def test_assign_without_choosing_someone_changes_nothing(bob, mini_project, task_of):
    collect = task_of(mini_project, "collect")
    response = client_for(bob).post(URL, {"action": "assign", "task": [collect.pk]})
    assert response.status_code == 422
    assert "Choose who gets the tasks." in response.content.decode()
    assert Task.objects.get(pk=collect.pk).assignee_id is not None


def test_nobody_clears_the_assignee(bob, mini_project, task_of):
    collect = task_of(mini_project, "collect")
    response = client_for(bob).post(
        URL, {"action": "assign", "task": [collect.pk], "assignee_id": "none"}
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=collect.pk).assignee_id is None


def test_reopening_the_ticked_tasks_with_a_reason(bob, mini_project, task_of):
    announce = task_of(mini_project, "announce")
    client = client_for(bob, "zh-hans")
    client.post(URL, {"action": "skip", "task": [announce.pk], "reason": "不适用", "page": "1"})
    page = client.get(URL).content.decode()
    assert '<option value="reopen">重新打开</option>' in page
    assert 'data-for="skip reopen"' in page  # the reason field serves both
    refused = client.post(URL, {"action": "reopen", "task": [announce.pk], "reason": ""})
    assert "请填写重新打开的原因" in refused.content.decode()
    assert Task.objects.get(pk=announce.pk).status == "skipped"
    response = client.post(
        URL, {"action": "reopen", "task": [announce.pk], "reason": "平台要求补充", "page": "1"}
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=announce.pk).status == "todo"
    assert AuditEvent.objects.filter(action="task.reopened", object_id=str(announce.pk)).exists()
