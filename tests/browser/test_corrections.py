"""Undo and correction in headless Chromium (issue 14 §1): the manager reopens done work and
sends the later task that had started back to to-do; a reviewer returns done work for
correction; the requester withdraws a request for approval."""

from __future__ import annotations

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.projects.models import Task
from linkstar.projects.services import skip_task, update_task
from tests.support.browser import login, screenshot
from tests.support.seed import actor_of

pytestmark = pytest.mark.django_db(transaction=True)


def _task(project, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


@pytest.fixture
def review_started(project, org, bob, carol):
    """The contact details done by carol; the document review (which waits on it) in progress
    by bob, its other inputs marked not applicable."""
    as_bob, as_carol = actor_of(org, bob), actor_of(org, carol)
    contact = _task(project, "prepare-contact-info")
    for step in ("in_progress", "done"):
        contact = update_task(actor=as_carol, task=_task(project, contact.key), status=step)
    review = _task(project, "review-document-pack")
    for dep in review.depends_on.exclude(pk=contact.pk):
        skip_task(actor=as_bob, task=dep, reason="done outside LinkStar")
    update_task(actor=as_bob, task=_task(project, review.key), status="in_progress")
    return project


def test_the_manager_reopens_done_work_and_resets_the_started_review(page, bob, review_started):
    contact = _task(review_started, "prepare-contact-info")
    review = _task(review_started, "review-document-pack")
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/tasks/{contact.pk}/")
    page.click("#reopen summary")
    assert page.locator(f"#started-dependants [data-dependant='{review.pk}']").is_visible()
    page.fill("#reopen-reason", "平台要求换一个固定电话")
    page.check("#dependants-reset")
    screenshot(page, "reopen-with-dependants")
    page.click("#reopen-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#task-body").get_attribute("data-status") == "in_progress"
    assert _task(review_started, "review-document-pack").status == "todo"
    assert _task(review_started, "prepare-contact-info").status == "in_progress"


def test_a_reviewer_returns_done_work_for_correction(page, erin, review_started):
    contact = _task(review_started, "prepare-contact-info")
    login(page, erin)
    page.goto(page.base_url + f"/o/acme/tasks/{contact.pk}/")
    page.click("#return summary")
    page.fill("#return-reason", "电话号码少了一位")
    page.click("#return-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#task-body").get_attribute("data-status") == "in_progress"
    assert _task(review_started, "prepare-contact-info").status == "in_progress"


def test_the_requester_withdraws_a_request_sent_too_early(page, bob, review_started):
    review = _task(review_started, "review-document-pack")
    update_task(actor=actor_of(review_started.organization, bob), task=review, status="done")
    approval = ApprovalRequest.objects.get(task=review)
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/tasks/{review.pk}/")
    page.fill(f"#withdraw-form-{approval.pk} input[name=reason]", "还要再核对一次")
    page.click(f"#withdraw-form-{approval.pk} button[data-action=withdraw]")
    page.wait_for_load_state("networkidle")
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "withdrawn"
    assert _task(review_started, "review-document-pack").status == "in_progress"


def test_the_manager_drags_a_gantt_bar_and_moves_the_later_tasks_with_it(page, bob, review_started):
    review = _task(review_started, "review-document-pack")
    later = _task(review_started, "create-seller-account")
    due, later_due = review.due_date, later.due_date
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/projects/{review_started.pk}/?tab=gantt")
    bar = page.locator(f"#gantt .ls-gantt-draggable[data-task-id='{review.pk}'] rect")
    day = float(page.locator("#gantt svg.ls-gantt-svg").get_attribute("data-day-width"))
    page.wait_for_load_state("networkidle")
    bar.scroll_into_view_if_needed()
    bar.hover()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 1.5 * day, box["y"] + 5, steps=5)
    page.mouse.move(box["x"] + box["width"] / 2 + 3 * day, box["y"] + 5, steps=5)
    page.mouse.up()
    prompt = page.locator("#gantt-reschedule .ls-reschedule")
    prompt.wait_for(timeout=30_000)
    assert page.locator(f"#gantt-reschedule [data-moves='{later.pk}']").is_visible()
    assert _task(review_started, "create-seller-account").due_date == later_due  # not yet
    screenshot(page, "gantt-drag-preview")
    with page.expect_navigation():
        page.click("#gantt-reschedule .ls-reschedule-apply")
    assert "tab=gantt" in page.url
    assert (_task(review_started, "review-document-pack").due_date - due).days == 3
    assert _task(review_started, "create-seller-account").due_date > later_due
