"""The project page: header, stage and close actions, tasks grouped by phase with inline HTMX
edits (stale versions shown, not lost), the Gantt, team and history tabs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import (
    ProjectRow,
    change_stage,
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

TABS = ("tasks", "gantt", "team", "history")
# Session, user, membership, project (+ members), plan (+ dependencies), members for the
# selects, permission checks, history's approvals and users: a fixed handful.
MAX_QUERIES = 14


def url(project, tab: str | None = None) -> str:
    base = f"/o/acme/projects/{project.pk}/"
    return f"{base}?tab={tab}" if tab else base


def task(project, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


def edit(client, t: Task, field: str, value, version=None, **headers):
    return client.post(
        f"/o/acme/tasks/{t.pk}/edit/",
        {"field": field, "value": value, "version": t.version if version is None else version},
        **{**HTMX, **headers},
    )


@pytest.fixture
def many_projects(as_bob, amazon_na, entity, carol):
    rows = [
        ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, members=[carol.pk])
        for i in range(500)
    ]
    return create_projects_batch(
        actor=as_bob, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )


@pytest.fixture
def late_project(as_bob, amazon_na, entity, carol, org):
    """Started 40 days ago: every open task is past due."""
    return create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Late Shop",
        entity_id=entity.pk,
        start_date=org_today(org) - dt.timedelta(days=40),
        members=[carol.pk],
    )


def finish_documents(project, as_bob, carol_actor) -> None:
    """Skip the six document tasks so the review task can start."""
    for t in Task.objects.filter(project=project, phase="documents").exclude(
        key="review-document-pack"
    ):
        skip_task(actor=as_bob, task=t, reason="already on file")


# --- reading the page ------------------------------------------------------------------------


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_costs_a_bounded_number_of_queries_with_500_projects(
    tab, project, many_projects, alice, bob, carol, frank, django_assert_max_num_queries
):
    pass_gates(project)
    change_stage(actor=actor_of(project.organization, bob), project=project, stage="under_review")
    for user in (alice, bob, carol, frank):
        client = client_for(user)
        client.get(url(project, tab))  # warm the session
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url(project, tab))
        assert response.status_code == 200, (user, tab)


def test_the_header_shows_the_project_at_a_glance(bob, project, on_project_start):
    page = html(client_for(bob).get(url(project)))
    assert project.code in page
    assert "Xinghe Home US" in page
    assert "🇺🇸" in page and "USD" in page
    assert "深圳市星河跨境电子商务有限公司" in page
    assert 'id="project-manager">Bob<' in page
    assert "ls-stage-preparing" in page
    assert 'aria-valuenow="0"' in page
    assert project.planned_finish.strftime("%Y-%m-%d") in page
    assert 'id="days-late"' not in page


def test_a_project_past_its_latest_due_date_shows_how_many_days_late(bob, late_project, org):
    page = html(client_for(bob).get(url(late_project)))
    latest = max(t.due_date for t in late_project.tasks.all())
    days = (org_today(org) - latest).days
    assert days > 0
    assert f'data-days="{days}"' in page


def test_tasks_are_grouped_by_phase_in_plan_order(bob, project):
    page = html(client_for(bob).get(url(project)))
    phases = re.findall(r'class="card mb-3 ls-phase" data-phase="(\w+)"', page)
    assert phases == ["documents", "registration", "review", "launch"]
    rows = re.findall(r'data-task-key="([\w-]+)"', page)
    assert rows == list(project.tasks.order_by("position").values_list("key", flat=True))


def test_blocked_tasks_say_what_they_wait_on(bob, project):
    page = html(client_for(bob).get(url(project)))
    review = task(project, "review-document-pack")
    row = re.search(rf'<tbody id="task-row-{review.pk}".*?</tbody>', page, re.S).group(0)
    assert "ls-blocked" in row and "ls-blocked-badge" in row
    waits = set(re.findall(r'data-waits-on="(\d+)"', row))
    assert waits == {str(t.pk) for t in review.depends_on.all()}
    free = task(project, "prepare-license")
    row = re.search(rf'<tbody id="task-row-{free.pk}".*?</tbody>', page, re.S).group(0)
    assert "ls-blocked-badge" not in row


def test_operator_sees_status_buttons_but_not_planning_or_stage_controls(carol, project):
    page = html(client_for(carol).get(url(project)))
    assert 'data-move="in_progress"' in page
    assert "ls-assignee-form" not in page and "ls-due-form" not in page
    assert "ls-skip-form" not in page
    assert 'id="stage-form"' not in page


def test_manager_sees_the_legal_stage_moves_only(bob, project):
    page = html(client_for(bob).get(url(project)))
    assert set(re.findall(r'data-stage-move="(\w+)"', page)) == {"under_review", "cancelled"}
    assert 'id="close-form"' not in page  # preparing: not closable


def test_the_auditor_reads_the_page_without_any_control(frank, project):
    page = html(client_for(frank).get(url(project)))
    assert project.code in page
    for control in ("data-move=", "ls-assignee-form", "ls-skip-form", 'id="stage-form"'):
        assert control not in page


# --- stage and close -------------------------------------------------------------------------


def test_the_manager_moves_the_stage_through_the_state_machine(bob, project):
    pass_gates(project)
    client = client_for(bob)
    response = client.post(
        f"/o/acme/projects/{project.pk}/stage/",
        {"stage": "under_review", "note": "submitted", "version": project.version},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "under_review"
    page = html(client.get(response["Location"]))
    assert set(re.findall(r'data-stage-move="(\w+)"', page)) == {
        "needs_info",
        "opened",
        "rejected",
        "cancelled",
    }


def test_a_move_the_state_machine_lacks_is_refused_with_the_reason(bob, project):
    client = client_for(bob)
    response = client.post(
        f"/o/acme/projects/{project.pk}/stage/",
        {"stage": "opened", "version": project.version},
        HTTP_REFERER=f"http://testserver{url(project)}",
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "preparing"
    page = html(client.get(response["Location"]))
    assert "alert-danger" in page and "Opened" in page


def test_an_operator_cannot_move_the_stage_and_is_told_why(carol, project):
    response = client_for(carol).post(
        f"/o/acme/projects/{project.pk}/stage/",
        {"stage": "under_review", "version": project.version},
        **HTMX,
    )
    assert response.status_code == 403
    assert "manager" in response.content.decode()
    project.refresh_from_db()
    assert project.stage == "preparing"


def test_a_stale_stage_form_changes_nothing(bob, project):
    client = client_for(bob)
    response = client.post(
        f"/o/acme/projects/{project.pk}/stage/",
        {"stage": "under_review", "version": project.version - 1 or 99},
        **HTMX,
    )
    assert response.status_code == 409
    assert response["X-LinkStar-Error"] == "stale_version"


def test_closing_is_offered_once_closable_and_refused_while_tasks_are_open(bob, project, as_bob):
    change_stage(actor=as_bob, project=project, stage="cancelled")
    project.refresh_from_db()
    client = client_for(bob)
    page = html(client.get(url(project)))
    assert 'id="close-form"' in page and "21 tasks still open" in page
    response = client.post(
        f"/o/acme/projects/{project.pk}/close/", {"version": project.version}, **HTMX
    )
    assert response.status_code == 409 and response["X-LinkStar-Error"] == "tasks_open"
    for t in project.tasks.all():
        skip_task(actor=as_bob, task=t, reason="cancelled")
    response = client.post(f"/o/acme/projects/{project.pk}/close/", {"version": project.version})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "closed"
    page = html(client.get(url(project)))
    assert 'id="project-closed"' in page and 'id="close-form"' not in page


# --- inline task edits ---------------------------------------------------------------------


def test_starting_a_task_inline_returns_the_refreshed_panel(carol, project):
    t = task(project, "prepare-license")
    response = edit(client_for(carol), t, "status", "in_progress")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#tasks-panel"
    page = html(response)
    assert 'id="tasks-panel"' in page and 'hx-swap-oob="true"' in page
    t.refresh_from_db()
    assert t.status == "in_progress"
    row = re.search(rf'<tbody id="task-row-{t.pk}".*?</tbody>', page, re.S).group(0)
    assert 'data-status="in_progress"' in row and 'data-move="done"' in row


def test_done_on_an_approval_task_shows_awaiting_approval(carol, as_bob, project):
    finish_documents(project, as_bob, None)
    t = task(project, "review-document-pack")
    client = client_for(carol)
    edit(client, t, "status", "in_progress")
    t.refresh_from_db()
    page = html(client.get(url(project)))
    row = re.search(rf'<tbody id="task-row-{t.pk}".*?</tbody>', page, re.S).group(0)
    assert "Request approval" in row
    Task.objects.filter(pk=t.pk).update(
        checklist=[{**item, "done": True} for item in t.checklist]
    )  # the checklist ticked: no question asked
    t.refresh_from_db()
    response = edit(client, t, "status", "done")
    t.refresh_from_db()
    assert t.status == "awaiting_approval"
    row = re.search(rf'<tbody id="task-row-{t.pk}".*?</tbody>', html(response), re.S).group(0)
    assert 'data-status="awaiting_approval"' in row and "#approval-panel" in row


def test_starting_a_blocked_task_is_refused_with_the_reason(carol, project):
    t = task(project, "review-document-pack")
    response = edit(client_for(carol), t, "status", "in_progress")
    assert response.status_code == 409
    assert response["X-LinkStar-Error"] == "dependency_not_done"
    assert "prepare-license" in response.content.decode()


def test_a_stale_edit_shows_the_current_values_and_keeps_the_attempted_one(
    bob, carol, dave, project, as_bob
):
    t = task(project, "prepare-license")
    seen_version = t.version
    update_task(actor=as_bob, task=t, assignee_id=dave.pk)  # someone else, meanwhile
    response = edit(client_for(bob), t, "assignee", carol.pk, version=seen_version)
    assert response.status_code == 200
    page = html(response)
    assert "ls-conflict" in page
    assert f'data-attempted="{carol.pk}"' in page and "Carol" in page
    t.refresh_from_db()
    assert t.assignee_id == dave.pk  # nothing lost, nothing overwritten
    assert f'data-version="{t.version}"' in page
    assert re.search(rf'<option value="{dave.pk}" selected>Dave</option>', page)
    # "Apply my change anyway" posts the attempted value against the current version.
    assert re.search(
        rf'name="value" value="{carol.pk}"><input type="hidden" name="version" value="{t.version}"',
        page,
    )
    response = edit(client_for(bob), t, "assignee", carol.pk, version=t.version)
    t.refresh_from_db()
    assert t.assignee_id == carol.pk and "ls-conflict" not in html(response)


def test_the_manager_changes_due_date_and_assignee_inline(bob, carol, project):
    t = task(project, "first-listing")  # the last step: a later due date moves nothing else
    client = client_for(bob)
    response = edit(client, t, "due_date", "2027-01-20")
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert "ls-reschedule" not in response.content.decode()
    t.refresh_from_db()
    assert t.due_date == dt.date(2027, 1, 20)
    response = edit(client, t, "assignee", carol.pk)
    t.refresh_from_db()
    assert t.assignee_id == carol.pk
    response = edit(client, t, "assignee", "")
    t.refresh_from_db()
    assert t.assignee_id is None
    response = edit(client, t, "due_date", "20-11-2026")
    assert response.status_code == 422 and "YYYY-MM-DD" in response.content.decode()


def test_a_due_date_before_the_start_is_refused_with_the_reason(bob, project):
    t = task(project, "prepare-license")
    response = edit(client_for(bob), t, "due_date", "2026-10-01")
    assert response.status_code == 422
    assert "start date" in response.content.decode()


def test_an_operator_cannot_plan_tasks(carol, project):
    t = task(project, "prepare-license")
    response = edit(client_for(carol), t, "due_date", "2026-11-20")
    assert response.status_code == 403
    assert "manager" in response.content.decode()


def test_the_manager_skips_a_task_with_the_prompted_reason(bob, project):
    t = task(project, "prepare-contact-info")
    client = client_for(bob)
    response = client.post(
        f"/o/acme/tasks/{t.pk}/skip/",
        {"version": t.version},
        HTTP_HX_PROMPT="contacts already registered",
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#tasks-panel"
    t.refresh_from_db()
    assert t.status == "skipped" and t.skip_reason == "contacts already registered"
    response = client.post(
        f"/o/acme/tasks/{task(project, 'prepare-license').pk}/skip/",
        {"version": 1},
        HTTP_HX_PROMPT="",
        **HTMX,
    )
    assert response.status_code == 422


def test_a_chinese_reason_sent_url_encoded_by_htmx_is_decoded(bob, project):
    from urllib.parse import quote

    t = task(project, "prepare-contact-info")
    client_for(bob).post(
        f"/o/acme/tasks/{t.pk}/skip/",
        {"version": t.version},
        HTTP_HX_PROMPT=quote("联系方式已登记"),
        HTTP_HX_PROMPT_URI_AUTOENCODED="true",
        **HTMX,
    )
    t.refresh_from_db()
    assert t.skip_reason == "联系方式已登记"


def test_without_javascript_an_edit_redirects_back(carol, project):
    t = task(project, "prepare-license")
    response = client_for(carol).post(
        f"/o/acme/tasks/{t.pk}/edit/",
        {"field": "status", "value": "in_progress", "version": t.version, "next": url(project)},
    )
    assert response.status_code == 302 and response["Location"] == url(project)


# --- other tabs ----------------------------------------------------------------------------


def test_the_gantt_tab_draws_one_bar_per_task(bob, project):
    page = html(client_for(bob).get(url(project, "gantt")))
    bars = re.findall(r'<g class="ls-gantt-bar [^"]*" data-task-id="(\d+)"', page)
    assert sorted(map(int, bars)) == sorted(project.tasks.values_list("pk", flat=True))
    assert (
        page.count('class="ls-gantt-dep"')
        == Task.depends_on.through.objects.filter(from_task__project=project).count()
    )


def test_the_team_tab_lists_the_manager_and_members_and_lets_the_manager_change_it(
    bob, carol, dave, project
):
    client = client_for(bob)
    page = html(client.get(url(project, "team")))
    assert re.findall(r'<tr data-user-id="(\d+)"', page) == [str(bob.pk), str(carol.pk)]
    assert "Operator" in page and "Project manager" in page
    response = client.post(
        f"/o/acme/projects/{project.pk}/team/",
        {"action": "add", "user_id": dave.pk, "version": project.version},
    )
    assert response.status_code == 302
    assert set(project.members.values_list("pk", flat=True)) == {carol.pk, dave.pk}
    project.refresh_from_db()
    client.post(
        f"/o/acme/projects/{project.pk}/team/",
        {"action": "remove", "user_id": carol.pk, "version": project.version},
    )
    assert set(project.members.values_list("pk", flat=True)) == {dave.pk}


def test_an_operator_cannot_change_the_team(carol, dave, project):
    client = client_for(carol)
    page = html(client.get(url(project, "team")))
    assert "add-member-form" not in page and "data-remove-member" not in page
    response = client.post(
        f"/o/acme/projects/{project.pk}/team/",
        {"action": "add", "user_id": dave.pk, "version": project.version},
        **HTMX,
    )
    assert response.status_code == 403


def test_the_history_tab_tells_stage_changes_and_events_in_words(bob, dave, project, as_bob):
    t = task(project, "prepare-license")  # carol's, the team's operator, since its creation
    update_task(actor=as_bob, task=t, assignee_id=dave.pk)
    pass_gates(project)
    change_stage(actor=as_bob, project=project, stage="under_review", note="submitted")
    page = html(client_for(bob).get(url(project, "history")))
    assert page.count('data-to-stage="') == 2
    assert "“submitted”" in page
    assert "moved the stage" in page and "created the project" in page
    assert f"updated task “{t.title_en or t.title}”" in page
    assert 'Assignee: <s>Carol</s> → <span class="text-body">Dave</span>' in page
    assert AuditEvent.objects.filter(project_id=project.pk).count() == page.count("data-action=")


# --- who may see ---------------------------------------------------------------------------


def test_another_organizations_member_gets_404_everywhere(mallory, project):
    client = client_for(mallory)
    t = project.tasks.first()
    for tab in TABS:
        assert client.get(url(project, tab)).status_code == 404
    for path, data in (
        (f"/o/acme/projects/{project.pk}/stage/", {"stage": "cancelled", "version": 1}),
        (f"/o/acme/projects/{project.pk}/close/", {"version": 1}),
        (f"/o/acme/projects/{project.pk}/team/", {"user_id": 1, "version": 1}),
        (f"/o/acme/tasks/{t.pk}/edit/", {"field": "status", "value": "in_progress"}),
        (f"/o/acme/tasks/{t.pk}/skip/", {"reason": "x", "version": 1}),
    ):
        assert client.post(path, data).status_code == 404, path
    # Their own organization's URL with our ids: not found either.
    assert client.get(f"/o/evil/projects/{project.pk}/").status_code == 404
    assert StoreProject.objects.get(pk=project.pk).stage == "preparing"


def test_a_client_of_another_entity_does_not_find_the_project(grace, project):
    assert client_for(grace).get(url(project)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(project):
    response = Client().get(url(project))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
