"""The project page, the task page, my tasks and the approvals inbox in headless Chromium."""

from __future__ import annotations

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.projects.models import Task
from linkstar.projects.services import change_stage, skip_task, update_task
from tests.support.browser import login, screenshot
from tests.support.gates import pass_gates
from tests.support.seed import actor_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    """``open_as(user)`` → a page in its own browser context, signed in as ``user``."""
    contexts = []

    def make(user, *, width: int = 1366, height: int = 768):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        login(page, user)
        return page

    yield make
    for context in contexts:
        context.close()


def project_url(page, project, tab: str | None = None) -> str:
    return page.base_url + f"/o/acme/projects/{project.pk}/" + (f"?tab={tab}" if tab else "")


def row(page, task: Task):
    return page.locator(f"#task-row-{task.pk}")


def two_level_task(project, org, bob) -> Task:
    """The amazon-na task needing two approval levels, its dependencies finished."""
    task = Task.objects.get(project=project, key="set-deposit-method")
    assert task.approval_levels == 2
    pass_gates(project)
    as_bob = actor_of(org, bob)
    for dep in task.depends_on.all():
        skip_task(actor=as_bob, task=dep, reason="done outside LinkStar")
    return task


def test_an_operator_finishes_a_task_and_two_reviewers_approve_its_two_levels(
    open_as, org, project, bob, carol, dave, erin
):
    task = two_level_task(project, org, bob)
    carol_page = open_as(carol)
    carol_page.goto(project_url(carol_page, project))
    with carol_page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url):
        row(carol_page, task).locator("button[data-move=in_progress]").click()
    carol_page.wait_for_selector(f"#task-row-{task.pk}[data-status=in_progress]")
    with carol_page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url):
        row(carol_page, task).locator("button[data-move=done]").click()
    # the checklist is not ticked: the row asks why it is complete anyway
    confirm = row(carol_page, task).locator(".ls-complete-confirm")
    confirm.locator("input[name=confirm_reason]").fill("账户资料已在电话中确认")
    with carol_page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url):
        confirm.locator(".ls-complete-anyway").click()
    carol_page.wait_for_selector(f"#task-row-{task.pk}[data-status=awaiting_approval]")
    assert row(carol_page, task).locator(".ls-task-status").get_attribute("data-status") == (
        "awaiting_approval"
    )
    carol_page.locator(f"#task-row-{task.pk}").scroll_into_view_if_needed()
    screenshot(carol_page, "project-tasks")
    approval = ApprovalRequest.objects.get(task=task)

    dave_page = open_as(dave)
    dave_page.goto(dave_page.base_url + "/o/acme/approvals/")
    card = dave_page.locator(f"#decide-form-{approval.pk}")
    card.locator("textarea[name=comment]").fill("收款账户资料齐全")
    screenshot(dave_page, "approvals")
    with dave_page.expect_navigation():
        card.locator("button[data-decision=approve]").click()
    assert dave_page.locator(f"#decide-form-{approval.pk}").count() == 0  # four eyes
    approval.refresh_from_db()
    assert approval.current_level == 2 and approval.status == "pending"

    erin_page = open_as(erin)
    erin_page.goto(erin_page.base_url + f"/o/acme/tasks/{task.pk}/")
    panel = erin_page.locator("#approval-panel")
    assert panel.locator("[data-level='1'][data-decision=approve]").count() == 1
    assert "Dave" in panel.locator("[data-level='1']").inner_text()
    panel.locator(f"#decide-comment-{approval.pk}").fill("同意")
    with erin_page.expect_navigation():
        panel.locator("button[data-decision=approve]").click()
    erin_page.wait_for_selector("#task-body[data-status=done]")
    assert erin_page.locator("#approval-panel [data-level='2'][data-decision=approve]").count() == 1
    task.refresh_from_db()
    assert task.status == "done"
    screenshot(erin_page, "task-page")


def test_the_gantt_tab_shows_exactly_one_bar_per_task(open_as, project, bob):
    page = open_as(bob)
    page.goto(project_url(page, project, "gantt"))
    page.wait_for_selector("#gantt svg")
    bars = page.locator("#gantt g.ls-gantt-bar[data-task-id]")
    ids = sorted(int(i) for i in bars.evaluate_all("els => els.map(e => e.dataset.taskId)"))
    assert ids == sorted(project.tasks.values_list("pk", flat=True))
    assert bars.first.locator("title").count() == 1
    assert page.locator("#gantt .ls-gantt-dep").count() > 0
    screenshot(page, "project-gantt")
    with page.expect_navigation():
        bars.first.locator("rect").click()
    assert "/tasks/" in page.url


def test_an_inline_edit_conflict_shows_the_warning_and_keeps_the_value(
    open_as, org, project, alice, bob, carol, dave
):
    task = Task.objects.get(project=project, key="prepare-license")
    page = open_as(bob)
    page.goto(project_url(page, project))
    # Meanwhile, someone else assigns the task.
    update_task(actor=actor_of(org, alice), task=task, assignee_id=dave.pk)
    select = row(page, task).locator(".ls-assignee-form select")
    with page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url):
        select.select_option(str(carol.pk))
    warning = page.wait_for_selector(f"#task-row-{task.pk} .ls-conflict")
    assert warning.is_visible()
    assert "Carol" in page.locator(f"#task-row-{task.pk} .ls-attempted").inner_text()
    assert row(page, task).locator(".ls-assignee-form select").input_value() == str(dave.pk)
    task.refresh_from_db()
    assert task.assignee_id == dave.pk
    screenshot(page, "project-conflict")
    with page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url):
        row(page, task).locator(".ls-reapply").click()
    page.wait_for_selector(f"#task-row-{task.pk}:not(:has(.ls-conflict))")
    assert row(page, task).locator(".ls-assignee-form select").input_value() == str(carol.pk)
    task.refresh_from_db()
    assert task.assignee_id == carol.pk


def test_a_refused_move_is_shown_as_a_toast(open_as, project, carol):
    task = Task.objects.get(project=project, key="review-document-pack")
    Task.objects.filter(pk=task.pk).update(status="in_progress")  # as if started elsewhere
    page = open_as(carol)
    page.goto(project_url(page, project))
    button = row(page, task).locator("button[data-move=done]")
    assert button.is_disabled()  # blocked: the page says so before the server would
    page.evaluate("b => b.disabled = false", button.element_handle())
    with page.expect_response(lambda r: f"/tasks/{task.pk}/edit/" in r.url) as info:
        button.click()
    assert info.value.status == 409
    toast = page.wait_for_selector(".ls-toast-area .ls-error")
    assert "prepare-license" in toast.inner_text()


def test_the_manager_skips_a_task_with_a_reason_and_moves_the_stage(open_as, project, bob):
    pass_gates(project)
    task = Task.objects.get(project=project, key="prepare-contact-info")
    page = open_as(bob)
    page.goto(project_url(page, project))
    page.once("dialog", lambda dialog: dialog.accept("联系方式已登记"))
    with page.expect_response(lambda r: f"/tasks/{task.pk}/skip/" in r.url):
        row(page, task).locator("[data-skip]").click()
    page.wait_for_selector(f"#task-row-{task.pk}[data-status=skipped]")
    task.refresh_from_db()
    assert task.skip_reason == "联系方式已登记"
    page.fill("#stage-form input[name=note]", "资料已提交")
    with page.expect_navigation():
        page.click("#stage-form button[data-stage-move=under_review]")
    assert page.locator("#project-header").get_attribute("data-stage") == "under_review"
    page.goto(project_url(page, project, "history"))
    assert page.locator("#stage-changes li").count() == 2
    assert page.locator(".ls-events [data-action='task.skipped']").count() == 1
    screenshot(page, "project-history")


def test_the_task_drawer_ticks_the_checklist_and_mentions_a_team_member(open_as, project, carol):
    task = Task.objects.get(project=project, key="prepare-license")
    page = open_as(carol)
    page.goto(project_url(page, project))
    # the page loads its cards by itself (readiness, risks, document requests): let them land
    # before the click that opens the drawer
    page.wait_for_load_state("networkidle")
    with page.expect_response(lambda r: f"/tasks/{task.pk}/?drawer=1" in r.url):
        row(page, task).locator("a.ls-task-link").click()
    drawer = page.locator("#task-drawer")
    page.wait_for_selector("#task-drawer.show #task-body")
    with page.expect_response(lambda r: f"/tasks/{task.pk}/checklist/" in r.url):
        drawer.locator(f"#check-{task.pk}-0").check()
    page.wait_for_selector("#checklist-count:has-text('1')")
    with page.expect_response(lambda r: f"/tasks/{task.pk}/checklist/" in r.url):
        drawer.locator(f"#check-{task.pk}-1").check()
    page.wait_for_selector(f"#check-{task.pk}-1:checked")
    task.refresh_from_db()
    assert [item["done"] for item in task.checklist] == [True, True, False, False]
    body = drawer.locator("#comment-body")
    body.click()
    body.type("营业执照已上传，请 @Bo")
    page.wait_for_selector(".ls-mention-menu .dropdown-item")
    body.press("Enter")
    assert body.input_value() == "营业执照已上传，请 @Bob "
    with page.expect_response(lambda r: f"/tasks/{task.pk}/comments/" in r.url):
        drawer.locator("#comment-submit").click()
    page.wait_for_selector("#comment-list [data-comment-id]")
    assert "@Bob" in drawer.locator("#comment-list").inner_text()
    assert task.comments.get().mention_rows.get().user.email == "bob@example.com"


def test_my_tasks_lists_my_open_tasks_and_filters_by_status(open_as, org, project, bob, carol):
    as_bob = actor_of(org, bob)
    for key in ("prepare-license", "prepare-credit-card", "prepare-address-proof"):
        update_task(
            actor=as_bob, task=Task.objects.get(project=project, key=key), assignee_id=carol.pk
        )
    started = Task.objects.get(project=project, key="prepare-credit-card")
    update_task(actor=actor_of(org, carol), task=started, status="in_progress")
    # carol, the team's operator, was given the operator tasks when the project was created
    mine = Task.objects.filter(project=project, assignee=carol).exclude(
        status__in=["done", "skipped"]
    )
    assert mine.count() >= 3
    page = open_as(carol)
    page.goto(page.base_url + "/o/acme/my-tasks/")
    assert page.locator("#my-task-table tbody tr[data-task-id]").count() == mine.count()
    screenshot(page, "my-tasks")
    with page.expect_navigation():
        page.click("#status-filter a[data-status=in_progress]")
    rows = page.locator("#my-task-table tbody tr[data-task-id]")
    assert rows.count() == 1 and rows.first.get_attribute("data-task-id") == str(started.pk)
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert page.url.endswith(f"/tasks/{started.pk}/")


def test_the_project_page_fits_a_phone(open_as, org, project, bob):
    pass_gates(project)
    change_stage(actor=actor_of(org, bob), project=project, stage="under_review")
    page = open_as(bob, width=390, height=844)
    page.goto(project_url(page, project))
    assert page.locator("#project-header").is_visible()
    # Nothing but the scroll boxes is wider than the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390
    screenshot(page, "project-phone")
