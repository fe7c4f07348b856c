"""SOP templates in a real browser: clone a built-in, edit and publish its draft through an inline
validation error, compare two versions, and upgrade a project to the newer one."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from linkstar.playbooks.models import Template, VersionStatus
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import create_project, update_task
from tests.support.browser import login, screenshot


def row(page, key: str):
    return page.locator(f'#task-rows tr[data-key="{key}"]')


def cell(page, key: str, field: str):
    return row(page, key).locator(f'[data-field="{field}"]')


def add_task(page, *, key: str, title: str, phase: str, depends_on: str) -> None:
    page.click("#add-task")
    new = page.locator("#task-rows tr").last
    new.locator('[data-field="key"]').fill(key)
    new.locator('[data-field="title"]').fill(title)
    new.locator('[data-field="phase"]').select_option(phase)
    new.locator('[data-field="depends_on"]').fill(depends_on)


def submit(page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


@pytest.mark.django_db(transaction=True)
def test_clone_edit_publish_compare_and_upgrade(page, org, alice, bob, carol, entity, amazon_na):
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, alice)
    page.goto(page.base_url + "/o/acme/templates/")
    expect(
        page.locator(f'#builtin-templates tr[data-template-id="{amazon_na.pk}"]')
    ).to_be_visible()

    # Clone the built-in Amazon North America template.
    with page.expect_navigation():
        page.click(f'tr[data-template-id="{amazon_na.pk}"] a[data-action="clone"]')
    page.fill("#id_name", "Acme 亚马逊北美")
    submit(page, "#template-submit")
    clone = Template.objects.get(organization=org, name="Acme 亚马逊北美")
    assert page.url.endswith(f"/o/acme/templates/{clone.pk}/")

    # Edit draft v1: change a title, remove a task, add one that depends on an unknown key.
    with page.expect_navigation():
        page.click('tr[data-version="1"] a[data-action="edit"]')
    cell(page, "prepare-license", "title").fill("准备营业执照（彩色扫描）")
    row(page, "brand-registry").locator('[data-row-action="remove"]').click()
    expect(row(page, "brand-registry")).to_have_count(0)
    add_task(page, key="extra-check", title="上线前复核", phase="launch", depends_on="no-such-key")
    submit(page, "#save-publish")
    error = row(page, "extra-check").locator('[data-error-for="depends_on"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("no-such-key")
    expect(cell(page, "extra-check", "depends_on")).to_have_class(
        "form-control form-control-sm font-monospace is-invalid"
    )
    expect(page.locator("#editor-errors")).to_be_visible()
    page.locator("#editor-errors").scroll_into_view_if_needed()
    screenshot(page, "template-draft-editor")
    v1 = clone.versions.get(number=1)
    assert v1.status == VersionStatus.DRAFT  # saved, not published

    # Fix the dependency and publish.
    cell(page, "extra-check", "depends_on").fill("first-listing")
    submit(page, "#save-publish")
    assert page.url.endswith(f"/o/acme/templates/{clone.pk}/")
    v1.refresh_from_db()
    assert v1.status == VersionStatus.PUBLISHED
    keys = list(v1.blueprints.order_by("position").values_list("key", flat=True))
    assert "brand-registry" not in keys and keys[-1] == "extra-check"
    assert v1.blueprints.get(key="prepare-license").title == "准备营业执照（彩色扫描）"

    # A project runs on v1; its first task is started.
    project = create_project(
        actor=_actor(org, bob),
        template_id=clone.pk,
        store_name="Xinghe Home US",
        entity_id=entity.pk,
        start_date=dt.date(2026, 11, 2),
        members=[carol.pk],
    )
    started = Task.objects.get(project=project, key="prepare-license")
    update_task(actor=_actor(org, bob), task=started, status="in_progress")

    # Version 2: a new draft of the clone, with changes.
    page.reload()
    with page.expect_navigation():
        page.click("#new-draft")
    cell(page, "prepare-license", "title").fill("准备营业执照（45 天有效期）")
    cell(page, "prepare-contact-info", "duration_days").fill("2")
    row(page, "enable-other-marketplaces").locator('[data-row-action="remove"]').click()
    add_task(
        page, key="vat-registration", title="注册 VAT", phase="launch", depends_on="tax-interview"
    )
    new_row = page.locator("#task-rows tr").last
    new_row.locator(".ls-doc-picker button").click()
    new_row.locator('input[value="vat_certificate"]').check()
    submit(page, "#save-publish")
    assert clone.versions.get(number=2).status == VersionStatus.PUBLISHED

    # The library now lists the clone with its published version.
    page.goto(page.base_url + "/o/acme/templates/")
    expect(page.locator(f'#own-templates tr[data-template-id="{clone.pk}"]')).to_contain_text("v2")
    screenshot(page, "templates-library")

    # The diff between v1 and v2.
    page.goto(page.base_url + f"/o/acme/templates/{clone.pk}/")
    with page.expect_navigation():
        page.click("#compare-versions")
    expect(page.locator('#diff-added [data-key="vat-registration"]')).to_be_visible()
    expect(page.locator('#diff-removed [data-key="enable-other-marketplaces"]')).to_be_visible()
    changed = page.locator('#diff-changed [data-key="prepare-license"]')
    expect(changed.locator('[data-field="title"]')).to_contain_text("45 天有效期")
    expect(
        page.locator('#diff-changed [data-key="prepare-contact-info"] [data-field="duration_days"]')
    ).to_be_visible()
    screenshot(page, "template-diff")

    # The manager upgrades the project from the template page.
    page.context.clear_cookies()
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/templates/{clone.pk}/")
    with page.expect_navigation():
        page.click(f'tr[data-project-id="{project.pk}"] a[data-action="upgrade"]')
    expect(page.locator('#plan-added [data-key="vat-registration"]')).to_be_visible()
    expect(page.locator('#plan-skipped [data-key="enable-other-marketplaces"]')).to_be_visible()
    expect(page.locator('#plan-updated [data-key="prepare-contact-info"]')).to_be_visible()
    expect(page.locator('#plan-kept [data-key="prepare-license"]')).to_be_visible()
    screenshot(page, "project-upgrade-preview")
    with page.expect_navigation():
        page.click("#apply-upgrade")
    assert page.url.endswith(f"/o/acme/projects/{project.pk}/")
    project = StoreProject.objects.get(pk=project.pk)
    assert project.template_version.number == 2
    tasks = {t.key: t for t in Task.objects.filter(project=project)}
    assert tasks["vat-registration"].status == "todo"
    assert tasks["vat-registration"].document_types == ["vat_certificate"]
    assert tasks["enable-other-marketplaces"].status == "skipped"
    assert tasks["prepare-license"].status == "in_progress"
    assert tasks["prepare-license"].title == "准备营业执照（彩色扫描）"  # started: kept
    assert tasks["prepare-contact-info"].due_date == dt.date(2026, 11, 4)
    assert project.task_count == len(tasks)


@pytest.mark.django_db(transaction=True)
def test_the_library_fits_a_phone_screen(page, org, alice, amazon_na):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, alice)
    page.goto(page.base_url + "/o/acme/templates/")
    expect(page.locator("#builtin-templates")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(page, "templates-library-phone")


def _actor(org, user):
    from tests.support.seed import actor_of

    return actor_of(org, user)
