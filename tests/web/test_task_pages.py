"""The task page (and its drawer form), checklist ticks, comments with mentions, the approval
panel, and my tasks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.projects.models import Mention, Task
from linkstar.projects.services import (
    ProjectRow,
    create_project,
    create_projects_batch,
    org_today,
    skip_task,
    update_task,
)
from tests.support.clients import client_for
from tests.support.gates import pass_gates
from tests.support.pages import HTMX, html
from tests.support.seed import actor_of

pytestmark = pytest.mark.django_db

# Session, user, membership, the task with its project and dependencies, documents, comments,
# approvals, history and its users, permission checks, team members: a fixed handful.
MAX_QUERIES = 20  # 19 + the notification bell's unread count (issue 5)


def page_url(t: Task) -> str:
    return f"/o/acme/tasks/{t.pk}/"


def task(project, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


@pytest.fixture
def many_projects(as_bob, amazon_na, entity, carol):
    rows = [
        ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, members=[carol.pk])
        for i in range(500)
    ]
    projects = create_projects_batch(
        actor=as_bob, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )
    # carol is assigned one task on every project (creation gave her all the operator's):
    # my tasks must not grow with them.
    Task.objects.filter(project__in=projects).exclude(role="manager").update(assignee=None)
    Task.objects.filter(project__in=projects, key="prepare-license").update(assignee=carol)
    return projects


@pytest.fixture
def awaiting(project, as_bob, carol, org):
    """The document review (one approval level) asked for by carol."""
    for t in project.tasks.filter(phase="documents").exclude(key="review-document-pack"):
        skip_task(actor=as_bob, task=t, reason="on file")
    review = task(project, "review-document-pack")
    as_carol = actor_of(org, carol)
    update_task(actor=as_carol, task=review, status="in_progress")
    review.refresh_from_db()
    update_task(actor=as_carol, task=review, status="done", version=review.version)
    review.refresh_from_db()
    return review


# --- the task page -------------------------------------------------------------------------


def test_the_task_page_shows_everything_about_the_task(bob, project):
    t = task(project, "prepare-address-proof")
    page = html(client_for(bob).get(page_url(t)))
    assert t.title_en in page
    assert t.description_en.split("\n")[0][:30] in page
    for item in t.checklist:  # one language: the page is in English here
        assert item["text_en"] in page
        assert item["text"] not in page
    assert 'data-document-type="bank_statement"' in page
    assert 'data-document-type="utility_bill"' in page
    assert "Bank statement" in page or "bank_statement" not in re.sub(r"data-[^>]*", "", page)
    assert 'id="approval-panel"' in page and "This task needs no approval." in page
    assert 'id="comments"' in page and 'id="task-history"' in page


def test_required_document_names_come_from_the_catalog_in_chinese_by_default(bob, project):
    t = task(project, "prepare-license")
    page = html(client_for(bob, language="zh-hans").get(page_url(t)))
    assert "营业执照" in page
    assert t.title in page


def test_the_task_page_costs_a_bounded_number_of_queries(
    awaiting, many_projects, alice, bob, carol, dave, frank, django_assert_max_num_queries
):
    from linkstar.projects.services import add_comment

    add_comment(
        actor=actor_of(awaiting.organization, carol),
        project=awaiting.project,
        task=awaiting,
        body="@Bob please check",
    )
    for user in (alice, bob, carol, dave, frank):
        client = client_for(user)
        client.get(page_url(awaiting))
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(page_url(awaiting))
        assert response.status_code == 200


def test_the_drawer_is_the_page_body_alone(bob, project):
    t = task(project, "prepare-license")
    response = client_for(bob).get(page_url(t) + "?drawer=1", **HTMX)
    page = html(response)
    assert 'id="task-body"' in page and "<html" not in page


def test_a_blocked_task_names_what_it_waits_on(carol, project):
    t = task(project, "review-document-pack")
    page = html(client_for(carol).get(page_url(t)))
    assert 'id="task-waiting"' in page
    assert (
        "Prepare the business licence" in page or task(project, "prepare-license").title_en in page
    )
    assert re.search(r'data-move="in_progress"[^>]*disabled', page)


# --- checklist -------------------------------------------------------------------------------


def test_ticking_checklist_items_saves_them(carol, project):
    t = task(project, "prepare-license")
    client = client_for(carol)
    response = client.post(
        f"/o/acme/tasks/{t.pk}/checklist/", {"version": t.version, "done": ["0", "2"]}, **HTMX
    )
    assert response.status_code == 200
    t.refresh_from_db()
    assert [item["done"] for item in t.checklist] == [True, False, True, False]
    page = html(response)
    assert 'id="task-checklist"' in page and f'data-version="{t.version}"' in page
    assert "2 of 4" in page


def test_a_stale_checklist_tick_is_not_saved_and_says_so(carol, project, as_bob):
    t = task(project, "prepare-license")
    seen = t.version
    update_task(actor=as_bob, task=t, due_date=dt.date(2026, 11, 9))
    response = client_for(carol).post(
        f"/o/acme/tasks/{t.pk}/checklist/", {"version": seen, "done": ["1"]}, **HTMX
    )
    assert response.status_code == 200 and "ls-conflict" in html(response)
    t.refresh_from_db()
    assert not any(item["done"] for item in t.checklist)


def test_someone_not_on_the_project_cannot_tick(frank, project):
    t = task(project, "prepare-license")
    page = html(client_for(frank).get(page_url(t)))
    assert "<fieldset disabled>" in page
    response = client_for(frank).post(
        f"/o/acme/tasks/{t.pk}/checklist/", {"version": t.version, "done": ["0"]}, **HTMX
    )
    assert response.status_code == 403


# --- comments --------------------------------------------------------------------------------


def test_a_comment_with_a_mention_is_posted_and_the_team_is_offered(bob, carol, project):
    t = task(project, "prepare-license")
    client = client_for(carol)
    page = html(client.get(page_url(t)))
    team = json.loads(re.search(r'id="mention-team"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert {p["email"] for p in team} == {"bob@example.com", "carol@example.com"}
    assert 'data-mention-source="mention-team"' in page
    response = client.post(
        f"/o/acme/tasks/{t.pk}/comments/", {"body": "@Bob 营业执照已上传"}, **HTMX
    )
    assert response.status_code == 200
    assert "营业执照已上传" in html(response) and "1 mention" in html(response)
    assert list(Mention.objects.values_list("user_id", flat=True)) == [bob.pk]


def test_an_empty_comment_is_refused_on_the_form(carol, project):
    t = task(project, "prepare-license")
    response = client_for(carol).post(f"/o/acme/tasks/{t.pk}/comments/", {"body": "  "}, **HTMX)
    assert response.status_code == 200
    assert "is-invalid" in html(response) and "empty" in html(response)


def test_a_client_of_another_entity_cannot_see_the_task(grace, project):
    t = task(project, "prepare-license")
    assert client_for(grace).get(page_url(t)).status_code == 404


# --- approval panel --------------------------------------------------------------------------


def test_the_approval_panel_shows_levels_and_who_may_decide(awaiting, carol, dave, erin, bob):
    page = html(client_for(carol).get(page_url(awaiting)))  # the requester
    assert 'data-status="awaiting_approval"' in page
    assert "waiting for a decision" in page and "ls-decide-form" not in page
    page = html(client_for(dave).get(page_url(awaiting)))
    assert "ls-decide-form" in page
    approval = ApprovalRequest.objects.get(task=awaiting)
    response = client_for(dave).post(
        f"/o/acme/approvals/{approval.pk}/decide/",
        {"decision": "approve", "comment": "looks complete", "next": page_url(awaiting)},
    )
    assert response.status_code == 302 and response["Location"] == page_url(awaiting)
    awaiting.refresh_from_db()
    assert awaiting.status == "done"
    page = html(client_for(erin).get(page_url(awaiting)))
    assert re.search(r'data-level="1" data-decision="approve"', page)
    assert "by Dave" in page and "“looks complete”" in page
    assert "ls-decide-form" not in page


def test_a_two_level_approval_needs_two_different_reviewers(
    project, as_bob, carol, dave, erin, org
):
    pass_gates(project)
    t = task(project, "set-deposit-method")
    for dep in t.depends_on.all():
        skip_task(actor=as_bob, task=dep, reason="test")
    as_carol = actor_of(org, carol)
    update_task(actor=as_carol, task=t, status="in_progress")
    client = client_for(carol)
    t.refresh_from_db()
    page = html(client.get(page_url(t)))
    assert 'id="request-approval"' in page
    response = client.post(
        f"/o/acme/tasks/{t.pk}/edit/",
        {
            "field": "status",
            "value": "done",
            "version": t.version,
            "next": page_url(t),
            "confirm_reason": "Payoneer confirmed by phone",
        },
    )
    assert response.status_code == 302
    approval = ApprovalRequest.objects.get(task=t)
    dave_client = client_for(dave)
    dave_client.post(f"/o/acme/approvals/{approval.pk}/decide/", {"decision": "approve"})
    page = html(dave_client.get(page_url(t)))
    assert "ls-decide-form" not in page  # four eyes: not level 2 as well
    response = dave_client.post(
        f"/o/acme/approvals/{approval.pk}/decide/", {"decision": "approve"}, **HTMX
    )
    assert response.status_code == 403 and response["X-LinkStar-Error"] == "four_eyes"
    page = html(client_for(erin).get(page_url(t)))
    assert "ls-decide-form" in page and "Your decision on level 2" in page
    client_for(erin).post(f"/o/acme/approvals/{approval.pk}/decide/", {"decision": "approve"})
    t.refresh_from_db()
    assert t.status == "done"
    page = html(client.get(page_url(t)))
    assert "approved level 1" in page and "approved level 2" in page  # history in words


def test_rejecting_needs_a_comment_and_sends_the_task_back(awaiting, dave):
    approval = ApprovalRequest.objects.get(task=awaiting)
    client = client_for(dave)
    response = client.post(
        f"/o/acme/approvals/{approval.pk}/decide/", {"decision": "reject", "comment": ""}, **HTMX
    )
    assert response.status_code == 422
    client.post(
        f"/o/acme/approvals/{approval.pk}/decide/",
        {"decision": "reject", "comment": "licence expired"},
    )
    awaiting.refresh_from_db()
    assert awaiting.status == "in_progress"
    page = html(client.get(page_url(awaiting)))
    assert "licence expired" in page and 'data-decision="reject"' in page


# --- my tasks --------------------------------------------------------------------------------


def test_my_tasks_lists_my_open_tasks_overdue_first(carol, bob, as_bob, amazon_na, entity, org):
    today = org_today(org)
    late = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Late Shop",
        entity_id=entity.pk,
        start_date=today - dt.timedelta(days=30),
    )
    soon = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Soon Shop",
        entity_id=entity.pk,
        start_date=today,
    )  # carol not on the team: she has only the tasks assigned to her below
    for p in (soon, late):
        for key in ("prepare-license", "prepare-credit-card"):
            update_task(actor=as_bob, task=task(p, key), assignee_id=carol.pk)
    skip_task(actor=as_bob, task=task(soon, "prepare-credit-card"), reason="n/a")
    update_task(actor=as_bob, task=task(late, "prepare-contact-info"), assignee_id=bob.pk)
    client = client_for(carol)
    page = html(client.get("/o/acme/my-tasks/"))
    ids = [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', page)]
    expected = [
        task(late, "prepare-license").pk,
        task(late, "prepare-credit-card").pk,
        task(soon, "prepare-license").pk,
    ]
    assert ids == expected
    assert page.count("table-danger") == 2
    update_task(
        actor=actor_of(org, carol), task=task(soon, "prepare-license"), status="in_progress"
    )
    page = html(client.get("/o/acme/my-tasks/?status=in_progress"))
    assert [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', page)] == [
        task(soon, "prepare-license").pk
    ]


def test_my_tasks_costs_a_bounded_number_of_queries(
    carol, many_projects, django_assert_max_num_queries
):
    client = client_for(carol)
    client.get("/o/acme/my-tasks/")
    with django_assert_max_num_queries(8):
        page = html(client.get("/o/acme/my-tasks/"))
    assert page.count("<tr data-task-id=") == 50  # one page
    assert "Page 1 of 10" in page


def test_task_urls_are_404_for_another_organization(mallory, project):
    client = client_for(mallory)
    t = task(project, "prepare-license")
    assert client.get(page_url(t)).status_code == 404
    assert client.get(page_url(t) + "?drawer=1", **HTMX).status_code == 404
    for path, data in (
        (f"/o/acme/tasks/{t.pk}/checklist/", {"version": 1, "done": ["0"]}),
        (f"/o/acme/tasks/{t.pk}/comments/", {"body": "hi"}),
    ):
        assert client.post(path, data).status_code == 404
    assert client.get("/o/acme/my-tasks/").status_code == 404
