"""The Content-Security-Policy in a real browser (issue 17 §8): the key pages load and work —
their scripts from static files, htmx without eval — and Chromium reports no violation of the
policy on any of them. A violation is what Chromium logs on the console ("Refused to …", or
"Executing inline script violates the following Content Security Policy directive …")."""

from __future__ import annotations

import pytest

from linkstar.docrequests import services as docrequests
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow, create_projects_batch, org_today
from tests.support.browser import login
from tests.support.docrequests import ask
from tests.support.exchange import xlsx

pytestmark = pytest.mark.django_db(transaction=True)


def watch(page) -> list[str]:
    """Every policy violation and script error the page reports from now on."""
    seen: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: {error}"))
    return seen


def visit(page, path: str) -> None:
    # generous: the first page a fresh live server answers can be slow on a loaded machine
    page.goto(page.base_url + path, timeout=30_000)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def projects(org, as_bob, amazon_na, entity, carol) -> list[StoreProject]:
    return create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"星河家居 {i}", entity_id=entity.pk) for i in range(3)],
        start_date=org_today(org),
        team_roles={"operator": [carol.pk]},
    )


def test_the_watch_sees_a_violation(page, org):
    seen = watch(page)
    visit(page, "/accounts/login/")
    assert seen == []
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "document.title = 'ran'"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.title() != "ran"
    assert any("inline script" in line and "Content Security Policy" in line for line in seen), seen


def test_the_key_pages_work_under_the_policy(page, org, bob, entity, projects, tmp_path):
    seen = watch(page)
    login(page, bob)
    project = projects[0]

    # the workbench: its funnel chart is drawn by a static script from the page's JSON
    visit(page, "/o/acme/")
    assert page.evaluate("!!window.Chart.getChart(document.getElementById('funnel-chart'))")

    # the project page: the cards it loads by itself (htmx, hx-trigger=load) arrive; the
    # confirm before cancelling the project still asks, and "no" sends nothing
    visit(page, f"/o/acme/projects/{project.pk}/")
    page.wait_for_selector("#readiness-card[data-percent]")
    page.wait_for_selector("section#requests-card")
    questions = []

    def answer_no(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer_no)
    page.click("[data-stage-move=cancelled]")
    page.wait_for_timeout(300)
    assert questions and page.url.endswith(f"/projects/{project.pk}/")
    project.refresh_from_db()
    assert project.stage != "cancelled"

    # the kanban
    visit(page, "/o/acme/kanban/")
    assert page.locator("[data-project-id]").count() >= 3

    # the task list: tick all, the count follows; the bulk action shows its own fields
    visit(page, "/o/acme/tasks/")
    page.check("#choose-all")
    ticked = page.locator("#task-list-table input.ls-choose").count()
    assert ticked > 3 and page.locator("#chosen-count").inner_text() == str(ticked)
    page.select_option("#bulk-action", "assign")
    assert page.locator("#bulk-assignee").is_visible()

    # the request form: choosing a document type ticks its row
    visit(page, f"/o/acme/projects/{project.pk}/requests/new/")
    select = page.locator("select[data-turn-on]").last
    box = "#" + select.get_attribute("data-turn-on")
    page.uncheck(box)
    select.select_option(index=1)
    assert page.is_checked(box)

    # an import's preview: changing the mapping disables Import until it is checked again
    tracker = tmp_path / "开店进度.xlsx"
    tracker.write_bytes(
        xlsx([["店铺名称", "站点", "开店主体"], ["星河家居美国店", "amazon-us", entity.name]])
    )
    visit(page, "/o/acme/import/")
    page.check("input[name=kind][value=projects]")
    page.set_input_files("#id_file", str(tracker))
    with page.expect_navigation():
        page.click("#import-upload-submit")
    page.wait_for_load_state("networkidle")
    hint = page.locator("#import-run-hint").get_attribute("data-changed-hint")
    page.select_option("#col-2", "")
    assert page.locator("#import-run").is_disabled()
    assert page.locator("#import-run-hint").inner_text() == hint

    # the language switch sends its form when a language is chosen
    with page.expect_navigation():
        page.select_option("#language-form select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    assert seen == []


def test_the_public_upload_link_page_under_the_policy(page, org, as_carol, projects):
    request = ask(as_carol, projects[0], due=org_today(org))
    _link, token = docrequests.create_link(actor=as_carol, request=request)
    seen = watch(page)
    visit(page, f"/r/{token}/")
    assert page.locator("input[type=file]").count() >= 1
    assert seen == []
