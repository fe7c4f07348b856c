"""The kanban in headless Chromium: a card dropped on a column the state machine allows stays
there and the stage changes; dropped on one it refuses, it goes back and the reason is shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow, change_stage, create_projects_batch, org_today
from tests.support.browser import login, screenshot
from tests.support.gates import pass_gates


@pytest.fixture
def projects(org, as_bob, amazon_na, entity, entity_yunfan, carol):
    rows = [
        ProjectRow(store_name="星河家居美国", entity_id=entity.pk),
        ProjectRow(store_name="星河户外美国", entity_id=entity.pk),
        ProjectRow(store_name="云帆加拿大", entity_id=entity_yunfan.pk, site="amazon-ca"),
        ProjectRow(store_name="云帆墨西哥", entity_id=entity_yunfan.pk, site="amazon-mx"),
    ]
    created = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=rows,
        start_date=org_today(org) - dt.timedelta(days=10),  # overdue already
        members=[carol.pk],
    )
    pass_gates(*created)
    change_stage(actor=as_bob, project=created[2], stage="under_review")
    change_stage(actor=as_bob, project=created[3], stage="under_review")
    return created


def column_of(page, project) -> str:
    return page.locator(f"#card-{project.pk}").evaluate(
        "card => card.closest('.ls-kanban-list').dataset.stage"
    )


def drag(page, project, stage: str):
    page.locator(f"#card-{project.pk}").drag_to(
        page.locator(f".ls-kanban-list[data-stage='{stage}']")
    )


@pytest.mark.django_db(transaction=True)
def test_drag_a_card_to_a_legal_then_an_illegal_column(page, org, bob, projects):
    first, second = projects[0], projects[1]
    login(page, bob)
    page.goto(page.base_url + "/o/acme/kanban/")
    assert column_of(page, first) == "preparing"
    screenshot(page, "kanban")

    with page.expect_response(re.compile(rf"/kanban/{first.pk}/move/")) as answer:
        drag(page, first, "under_review")
    assert answer.value.status == 200
    page.wait_for_selector(f".ls-kanban-list[data-stage='under_review'] #card-{first.pk}")
    page.wait_for_selector(f"#card-{first.pk}[data-version='2']")
    assert column_of(page, first) == "under_review"
    assert StoreProject.objects.get(pk=first.pk).stage == "under_review"
    count = page.locator(".ls-kanban-col[data-stage='under_review'] [data-count]")
    assert count.inner_text() == "3"

    with page.expect_response(re.compile(rf"/kanban/{second.pk}/move/")) as answer:
        drag(page, second, "opened")
    assert answer.value.status == 409
    toast = page.wait_for_selector(".ls-error")
    assert answer.value.text() in toast.inner_text()
    page.wait_for_selector(f".ls-kanban-list[data-stage='preparing'] #card-{second.pk}")
    assert column_of(page, second) == "preparing"
    assert StoreProject.objects.get(pk=second.pk).stage == "preparing"
    assert page.locator(".ls-kanban-col[data-stage='opened'] [data-count]").inner_text() == "0"
    screenshot(page, "kanban-refused")


@pytest.mark.django_db(transaction=True)
def test_an_operator_may_not_move_and_is_told_why(page, org, carol, projects):
    project = projects[0]
    login(page, carol)
    page.goto(page.base_url + "/o/acme/kanban/")
    with page.expect_response(re.compile(rf"/kanban/{project.pk}/move/")) as answer:
        drag(page, project, "under_review")
    assert answer.value.status == 403
    assert answer.value.text() in page.wait_for_selector(".ls-error").inner_text()
    page.wait_for_selector(f".ls-kanban-list[data-stage='preparing'] #card-{project.pk}")
    assert StoreProject.objects.get(pk=project.pk).stage == "preparing"


@pytest.mark.django_db(transaction=True)
def test_the_kanban_on_a_phone(page, org, bob, projects):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, bob)
    page.goto(page.base_url + "/o/acme/kanban/")
    assert page.locator(".ls-card").count() == 4
    screenshot(page, "kanban-phone")
