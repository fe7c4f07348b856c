"""The Import pages in a real browser: a manager uploads a real Chinese tracker (.xlsx), sees
the guessed mapping and the bad row named in the preview, fixes it by leaving the column out,
imports, watches the progress bar and lands on the result with links to the new projects."""

from __future__ import annotations

import pytest

from linkstar.exchange.models import ImportJob, ImportStatus
from linkstar.projects.models import StoreProject
from tests.support.browser import login, screenshot
from tests.support.exchange import xlsx
from tests.support.jobs import run_jobs


@pytest.mark.django_db(transaction=True)
def test_a_manager_imports_a_tracker_through_the_pages(page, org, bob, entity, tmp_path):
    rows = [
        ["2026 跨境开店进度表", None, None, None, None],
        ["店铺名称", "站点", "开店主体", "开始日期", "当前阶段"],
        ["星河家居美国店", "亚马逊美国站", entity.name, "2026/3/5", "审核中"],
        ["星河家居加拿大店", "amazon-ca", entity.name, "2026年3月9日", "火星阶段"],
        ["星河家居墨西哥店", "amazon-mx", entity.name, "2026-03-12", "待提交"],
    ]
    tracker = tmp_path / "开店进度.xlsx"
    tracker.write_bytes(xlsx(rows, merges=("A1:E1",)))

    login(page, bob)
    page.goto(page.base_url + "/o/acme/import/")
    assert page.locator("#settings-nav [data-tab=import].active").count() == 1
    page.check("input[name=kind][value=projects]")
    page.set_input_files("#id_file", str(tracker))
    with page.expect_navigation():
        page.click("#import-upload-submit")

    # the mapping: one select per column, the guessed field chosen
    assert page.locator("#col-0").input_value() == "store_name"
    assert page.locator("#col-1").input_value() == "site"
    assert page.locator("#col-2").input_value() == "entity"
    assert page.locator("#col-4").input_value() == "stage"
    screenshot(page, "import-mapping")

    # the preview names the bad row (sheet row 4) and its column; Import is disabled
    bad = page.locator('#import-preview tr[data-row="4"]')
    assert "ls-row-bad" in (bad.get_attribute("class") or "")
    assert bad.locator(".ls-row-error[data-column=当前阶段]").count() == 1
    assert page.locator("#import-run").is_disabled()
    bad.scroll_into_view_if_needed()
    screenshot(page, "import-preview-errors")

    # the fix: leave the stage column out, check again
    page.select_option("#col-4", "")
    with page.expect_navigation():
        page.click("#import-check")
    assert page.locator("#import-ready").count() == 1
    assert page.locator("#import-run").is_enabled()

    with page.expect_navigation():
        page.click("#import-run")
    assert page.locator("#import-progress").count() == 1
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    screenshot(page, "import-progress")

    assert run_jobs() >= 1
    # the bar polls every second; on the last answer the page reloads with the result
    page.wait_for_selector("#import-result-summary", timeout=15_000)
    links = page.locator("#import-created a")
    assert links.count() == 3
    assert page.locator("#import-progress .progress-bar").get_attribute("style") == "width: 100%"
    screenshot(page, "import-done")
    with page.expect_navigation():
        links.first.click()
    assert StoreProject.objects.filter(organization=org).count() == 3
