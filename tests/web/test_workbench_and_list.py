"""The workbench (工作台) and the project list (开店项目): what they show, for whom, at what cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from linkstar.approvals.models import ApprovalRequest
from linkstar.projects.models import Task, TaskStatus
from linkstar.projects.services import ProjectRow, change_stage, create_projects_batch, update_task
from tests.support.clients import signed_in as client_for
from tests.support.gates import pass_gates
from tests.support.seed import actor_of


def grow(as_bob, amazon_na, entity, carol, n: int, prefix: str = "Shop"):
    rows = [
        ProjectRow(store_name=f"{prefix} {i:04d}", entity_id=entity.pk, members=[carol.pk])
        for i in range(n)
    ]
    return create_projects_batch(
        actor=as_bob, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 10, 1)
    )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def test_the_workbench_shows_my_due_tasks_approvals_stages_and_activity(
    org, bob, carol, dave, as_bob, amazon_na, entity
):
    project = grow(as_bob, amazon_na, entity, carol, 1)[0]
    pass_gates(project)
    first = Task.objects.filter(project=project).order_by("position").last()
    # due on 2026-10-20, or on its start when the plan starts it later
    due = max(first.start_date, dt.date(2026, 10, 20))
    update_task(actor=as_bob, task=first, assignee_id=carol.pk, due_date=due)
    review = Task.objects.get(project=project, key="review-document-pack")
    for dep in review.depends_on.all():
        update_task(actor=actor_of(org, carol), task=dep, status=TaskStatus.IN_PROGRESS)
        update_task(actor=actor_of(org, carol), task=dep, status=TaskStatus.DONE)
    review.refresh_from_db()
    update_task(actor=actor_of(org, carol), task=review, status=TaskStatus.IN_PROGRESS)
    update_task(actor=actor_of(org, carol), task=review, status=TaskStatus.DONE)
    assert ApprovalRequest.objects.filter(task=review, status="pending").exists()

    html = client_for(carol).get("/o/acme/").content.decode()
    assert "工作台" in html
    assert first.title in html.split('id="my-due-tasks"')[1].split("</ul>")[0]
    assert "逾期" in html  # the plan started in October: its first tasks are late

    html = client_for(dave).get("/o/acme/").content.decode()
    approvals = html.split('id="my-approvals"')[1].split("</ul>")[0]
    assert review.title in approvals
    stages = html.split('id="stage-counts"')[1].split("</div>")[0]
    assert "?stage=preparing&status=active" in stages
    assert 'id="funnel-chart"' in html and "funnel-data" in html
    assert "task.updated" in html.split('id="activity"')[1]


def test_the_workbench_costs_the_same_queries_for_5_and_500_projects(
    org, bob, carol, as_bob, amazon_na, entity
):
    grow(as_bob, amazon_na, entity, carol, 5, "Small")
    client = client_for(bob)
    small = queries(client, "/o/acme/")
    grow(as_bob, amazon_na, entity, carol, 495, "Big")
    large = queries(client, "/o/acme/")
    assert small == large <= 12


def test_the_project_list_filters_searches_sorts_and_pages(
    org, bob, carol, as_bob, amazon_na, entity
):
    projects = grow(as_bob, amazon_na, entity, carol, 30)
    pass_gates(projects[3])
    change_stage(actor=as_bob, project=projects[3], stage="under_review")
    client = client_for(bob)

    html = client.get("/o/acme/projects/").content.decode()
    assert "30" in html.split("<h1")[1].split("</h1>")[0]
    assert html.count("<tr>") - 1 == 25  # first page of 25
    assert "?&amp;page=2" in html or "page=2" in html
    assert "逾期" in html  # started in October

    html = client.get("/o/acme/projects/", {"stage": "under_review"}).content.decode()
    assert projects[3].code in html and projects[4].code not in html

    html = client.get("/o/acme/projects/", {"q": projects[7].code}).content.decode()
    assert projects[7].code in html and projects[8].code not in html

    html = client.get("/o/acme/projects/", {"order": "code"}).content.decode()
    assert html.index(projects[0].code) < html.index(projects[1].code)

    html = client.get("/o/acme/projects/", {"page": "2"}).content.decode()
    assert html.count("<tr>") - 1 == 5


def test_the_project_list_costs_the_same_queries_for_5_and_500_projects(
    org, bob, carol, as_bob, amazon_na, entity
):
    grow(as_bob, amazon_na, entity, carol, 5, "Small")
    client = client_for(carol)
    small = queries(client, "/o/acme/projects/?overdue=on&order=-planned_finish")
    grow(as_bob, amazon_na, entity, carol, 495, "Big")
    large = queries(client, "/o/acme/projects/?overdue=on&order=-planned_finish")
    assert small == large <= 12


def test_an_operator_sees_only_the_projects_they_are_on(org, bob, carol, as_bob, amazon_na, entity):
    mine = grow(as_bob, amazon_na, entity, carol, 1, "Mine")[0]
    rows = [ProjectRow(store_name="Not Carol's", entity_id=entity.pk)]
    theirs = create_projects_batch(actor=as_bob, template_id=amazon_na.pk, rows=rows)[0]
    html = client_for(carol).get("/o/acme/projects/").content.decode()
    assert mine.code in html and theirs.code not in html


@pytest.mark.parametrize("url", ["/o/acme/", "/o/acme/projects/"])
def test_a_member_of_another_organization_gets_404(url, org, mallory, project):
    assert client_for(mallory).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/", "/o/acme/", "/o/acme/projects/"])
def test_anonymous_visitors_are_sent_to_sign_in(url, org):
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_english_after_the_language_switch(org, bob):
    client = client_for(bob)
    client.post("/i18n/setlang/", {"language": "en", "next": "/o/acme/"})
    html = client.get("/o/acme/").content.decode()
    assert "Workbench" in html and "工作台" not in html


def test_a_cancelled_project_is_not_shown_as_overdue(org, bob, carol, as_bob, amazon_na, entity):
    late, cancelled = grow(as_bob, amazon_na, entity, carol, 2, "Late")
    change_stage(actor=as_bob, project=cancelled, stage="cancelled")
    html = (
        client_for(bob)
        .get("/o/acme/projects/", {"overdue": "on", "status": "active"})
        .content.decode()
    )
    assert late.code in html and cancelled.code not in html
