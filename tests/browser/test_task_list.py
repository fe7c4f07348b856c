"""The task list across projects (任务列表) in headless Chromium: filter to one step, tick
every task on the page, assign them all to another person at once."""

from __future__ import annotations

import pytest

from linkstar.projects.models import Task
from linkstar.projects.services import ProjectRow, create_projects_batch, org_today
from tests.support.browser import login, screenshot


@pytest.fixture
def projects(org, as_bob, amazon_na, entity, carol):
    return create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"星河家居 {i}", entity_id=entity.pk) for i in range(3)],
        start_date=org_today(org),
        team_roles={"operator": [carol.pk]},
    )


@pytest.mark.django_db(transaction=True)
def test_filter_tick_and_assign_in_bulk(page, org, bob, dave, projects):
    login(page, bob)
    page.goto(page.base_url + "/o/acme/")
    page.click("a[data-nav='task_list']")
    page.wait_for_load_state("networkidle")
    assert page.locator("#task-list-table tbody tr[data-task-id]").count() > 3

    page.fill("#f-key", "prepare-license")
    page.click("#apply-filters")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#task-list-table tbody tr[data-task-id]")
    assert rows.count() == 3

    page.check("#choose-all")
    assert page.locator("#chosen-count").inner_text() == "3"
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-assignee", str(dave.pk))
    screenshot(page, "task-list-bulk-assign")
    page.click("#bulk-apply")
    page.wait_for_load_state("networkidle")

    assert "key=prepare-license" in page.url
    cells = page.locator("#task-list-table tbody td[data-assignee]")
    assert [cells.nth(i).get_attribute("data-assignee") for i in range(3)] == [str(dave.pk)] * 3
    assert page.locator(".alert-success, .alert").first.is_visible()
    screenshot(page, "task-list-assigned")
    assert set(
        Task.objects.filter(project__in=projects, key="prepare-license").values_list(
            "assignee_id", flat=True
        )
    ) == {dave.pk}
