"""Creating one project from a built-in template, and three at once with the batch wizard where
the preview finds a bad row, the row is corrected and the batch created, in headless Chromium."""

from __future__ import annotations

import re

import pytest

from linkstar.projects.models import StoreProject
from tests.support.browser import login, screenshot


@pytest.mark.django_db(transaction=True)
def test_create_a_project_from_a_built_in_template(page, org, bob, carol, amazon_na, entity):
    login(page, bob)
    page.goto(page.base_url + "/o/acme/projects/new/")
    assert page.locator("#id_site").is_disabled()
    with page.expect_response(re.compile(r"/projects/new/\?template=")):
        page.select_option("#id_template", str(amazon_na.pk))
    page.wait_for_selector("#id_site option[value='amazon-ca']", state="attached")
    page.select_option("#id_site", "amazon-ca")
    page.fill("#id_store_name", "Xinghe Maple Store")
    page.select_option("#id_entity", str(entity.pk))
    assert page.input_value("#id_manager") == str(bob.pk)  # a manager manages by default
    page.check(f"#member-choices input[value='{carol.pk}']")
    screenshot(page, "create-project")
    with page.expect_navigation():
        page.click("#create-submit")
    project = StoreProject.objects.get(store_name="Xinghe Maple Store")
    assert page.url.endswith(f"/o/acme/projects/{project.pk}/")
    assert project.site.code == "amazon-ca" and project.code == "AMZ-CA-0001"
    assert project.manager == bob and list(project.members.all()) == [carol]
    assert project.template_version.template == amazon_na
    assert project.tasks.count() > 0


@pytest.mark.django_db(transaction=True)
def test_a_refused_project_keeps_what_was_typed(page, org, bob, amazon_na, entity, project):
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/projects/new/?template={amazon_na.pk}")
    page.fill("#id_store_name", project.store_name)
    page.select_option("#id_entity", str(entity.pk))
    with page.expect_navigation():
        page.click("#create-submit")
    error = page.locator("[data-error-for='store_name']")
    assert project.store_name in error.inner_text()
    assert page.input_value("#id_store_name") == project.store_name
    assert page.locator("#id_store_name.is-invalid").count() == 1
    screenshot(page, "create-project-error")
    assert StoreProject.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_batch_create_three_projects_after_correcting_a_row(
    page, org, bob, carol, amazon_na, entity, entity_yunfan
):
    login(page, bob)
    page.goto(page.base_url + "/o/acme/projects/batch/")
    page.select_option("#id_template", str(amazon_na.pk))
    page.check(f"#member-choices input[value='{carol.pk}']")
    screenshot(page, "batch-1-template")
    with page.expect_navigation():
        page.click("#to-rows")
    assert page.locator("#batch-rows tbody tr").count() == 3
    screenshot(page, "batch-2-rows")

    # two rows pasted from Excel (a header line, Chinese names), the second naming no entity
    # of the organization; the third typed into a row added to the table
    page.fill(
        "#paste-area",
        "店铺名称\t站点\t主体\t负责人\n"
        f"星河家居美国\tamazon-us\t{entity.name}\tBob\n"
        "星河家居加拿大\t亚马逊加拿大站\t星河不存在公司\t\n",
    )
    with page.expect_navigation():
        page.click("#paste-submit")
    rows = page.locator("#batch-rows tbody tr")
    assert rows.count() == 2
    page.click("#add-row")  # drawn by batch.js, no round trip
    assert rows.count() == 3
    third = rows.nth(2)
    third.locator("input[name='row_store_name']").fill("云帆墨西哥")
    third.locator("input[name='row_site']").fill("amazon-mx")
    third.locator("input[name='row_entity']").fill(entity_yunfan.name)

    with page.expect_navigation():
        page.click("#batch-preview")
    assert page.locator("#batch-rows").get_attribute("data-step") == "3"
    bad = rows.nth(1)
    assert "ls-row-bad" in bad.get_attribute("class")
    assert bad.locator("input[name='row_entity'].is-invalid").count() == 1
    assert "星河不存在公司" in bad.locator(".invalid-feedback").inner_text()
    assert page.locator("#batch-rows .is-invalid").count() == 1
    assert page.locator("#batch-create").is_disabled()
    screenshot(page, "batch-3-preview-errors")
    assert not StoreProject.objects.exists()

    bad.locator("input[name='row_entity']").fill("Hangzhou Yunfan")  # the English name works too
    with page.expect_navigation():
        page.click("#preview-again")
    assert page.locator("#batch-rows .is-invalid").count() == 0
    assert page.locator("#batch-rows tr.ls-row-ok").count() == 3
    assert page.locator("#batch-create").is_enabled()
    screenshot(page, "batch-3-preview-clean")

    with page.expect_navigation():
        page.click("#batch-create")
    assert "?done=" in page.url
    listed = page.locator("#created-projects tbody tr")
    assert listed.count() == 3
    screenshot(page, "batch-4-created")
    created = list(StoreProject.objects.order_by("id"))
    assert [p.store_name for p in created] == ["星河家居美国", "星河家居加拿大", "云帆墨西哥"]
    assert [p.code for p in created] == ["AMZ-US-0001", "AMZ-CA-0001", "AMZ-MX-0001"]
    assert created[1].entity == entity_yunfan
    assert all(p.manager == bob and list(p.members.all()) == [carol] for p in created)
    for p in created:
        link = page.locator(f"#created-projects a[href='/o/acme/projects/{p.pk}/']")
        assert link.inner_text() == p.code
