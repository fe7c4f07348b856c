"""The report page (报表) in a real browser, in Chinese: the figures per platform and site with
how many projects each rests on, the charts drawn, the bottleneck table, the workbook; the
expected opening on the project list and kanban. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from linkstar.projects.models import Task
from linkstar.reports.facts import rebuild_organization
from tests.support.browser import fits, screenshot, signed_in_pages
from tests.support.reports import days, lived
from tests.support.seed import PROJECT_START, build_project

D0 = PROJECT_START


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


@pytest.fixture
def history(org, as_bob, mini_template, entity):
    for i, opened_after in enumerate([25, 30, 32, 40, 45, 60]):
        project = build_project(
            manager=as_bob, template=mini_template, entity=entity, store_name=f"Store {i}"
        )
        collect = project.tasks.get(key="collect")
        Task.objects.filter(pk=collect.pk).update(
            status="done",
            started_at=dt.datetime.combine(collect.start_date, dt.time(10), tzinfo=dt.UTC),
            completed_at=dt.datetime.combine(
                collect.start_date + dt.timedelta(days=2 + i), dt.time(10), tzinfo=dt.UTC
            ),
        )
        lived(project, ("under_review", days(D0, 10 + i)), ("opened", days(D0, opened_after)))
    open_one = build_project(
        manager=as_bob, template=mini_template, entity=entity, store_name="Still preparing"
    )
    rebuild_organization(org)
    return open_one


@pytest.mark.django_db(transaction=True)
def test_the_report_page_and_the_expected_opening(open_as, bob, history):
    page = open_as(bob, locale="zh-CN", width=1440, height=900)
    page.goto(f"{page.base_url}/o/acme/")
    page.click("#nav-more")
    with page.expect_navigation():
        page.click('nav [data-nav="reports"]')
    page.fill("#id_start", D0.isoformat())
    page.fill("#id_end", days(D0, 90).isoformat())
    with page.expect_navigation():
        page.click('#report-filters button[type="submit"]')
    row = page.locator('#sites-table tr[data-group="amazon-us"]')
    expect(row).to_contain_text("n=6")  # six of the seven were submitted
    expect(page.locator("#sites-table tfoot")).to_contain_text("7")
    expect(page.locator("#bottlenecks-table")).to_contain_text("Collect documents")
    # the charts are drawn (Chart.js sizes its canvases)
    for chart in ("#chart-platforms", "#chart-opened", "#chart-bottlenecks"):
        assert page.locator(chart).evaluate("c => c.width > 0 && !!Chart.getChart(c)")
    screenshot(page, "report-desktop")
    with page.expect_download() as download:
        page.click("#report-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")

    # the project that still prepares: its expected opening, from the site's history
    page.goto(f"{page.base_url}/o/acme/projects/?order=forecast")
    cell = page.locator(f'tr:has-text("{history.store_name}") .ls-forecast')
    expect(cell).to_have_attribute("data-p50", history.fact.forecast_p50.isoformat())
    screenshot(page, "project-list-forecast")

    phone = open_as(bob, locale="zh-CN", width=390, height=844)
    phone.goto(f"{phone.base_url}/o/acme/reports/?start={D0.isoformat()}&end={days(D0, 90)}")
    assert fits(phone, 390)
    screenshot(phone, "report-phone")
