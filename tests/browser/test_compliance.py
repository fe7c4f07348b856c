"""Readiness and association risks on the project page and the risk page, in headless Chromium:
the cards load, a manager acknowledges a risk and overrides the readiness gate, and the project
goes under review."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.compliance.models import AssociationRisk, ReadinessOverride, RiskStatus
from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks
from linkstar.projects.models import StoreProject
from linkstar.projects.services import create_project, org_today
from tests.support.browser import login, screenshot
from tests.support.compliance import GATE_TASKS, document, identify, open_store, seller

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(org, as_alice, as_bob, carol):
    """bob's store of 甲乙 on Amazon US: licence and ID back in the vault, the ID front and the
    W-8BEN-E missing; its phone is also the phone of 丙丁, whose Amazon CA store is older."""
    template = create_template(actor=as_alice, name="Gate SOP", site="amazon-us")
    version = template.versions.get(number=1)
    replace_draft_tasks(actor=as_alice, version=version, tasks=GATE_TASKS)
    publish_version(actor=as_alice, version=version)
    mine, theirs = seller(org, "深圳市甲乙电子商务有限公司"), seller(org, "广州市丙丁贸易有限公司")
    identify(mine, "phone", "+86 138 0013 8000")
    identify(theirs, "phone", "13800138000")
    identify(mine, "email", "jiayi@example.com")
    other = open_store(as_bob, theirs, "amazon-ca", "Bingding Home CA")
    today = org_today(org)
    document(mine, "business_license", expiry_date=today + dt.timedelta(days=400))
    document(mine, "legal_rep_id_back", expiry_date=today + dt.timedelta(days=15))
    project = create_project(
        actor=as_bob,
        template_id=template.pk,
        store_name="Jiayi Home US",
        entity_id=mine.pk,
        start_date=today + dt.timedelta(days=10),
        members=[carol.pk],
    )
    return project, other


def test_the_manager_acknowledges_a_risk_overrides_readiness_and_submits(page, bob, linked):
    project, other = linked
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    page.wait_for_selector("#readiness-card[data-percent]")
    page.wait_for_selector("#risks-card[data-open='1']")
    card = page.locator("#readiness-card")
    assert card.get_attribute("data-percent") == "25"
    assert card.locator("[data-status=missing]").count() == 2
    assert card.locator("[data-status=expiring_before_submission]").count() == 1
    risks = page.locator("#risks-card")
    assert "*8000" in risks.inner_text() and other.code in risks.inner_text()
    assert "13800138000" not in page.content()
    screenshot(page, "compliance-project-page")

    # the stage button is refused with the gate's reason
    page.click("#stage-form button[data-stage-move=under_review]")
    page.wait_for_load_state("networkidle")
    assert "资料完整度为 25%" in page.locator("#flash").inner_text()
    assert StoreProject.objects.get(pk=project.pk).stage == "preparing"

    page.wait_for_selector("#risks-card[data-open='1']")
    page.fill("#risks-card input[name=reason]", "The phone is replaced with a new number")
    with page.expect_response(lambda r: "/acknowledge/" in r.url):
        page.click("#risks-card button[data-action=acknowledge]")
    page.wait_for_selector("#risks-card[data-open='0']")
    risk = AssociationRisk.objects.get()  # one risk for the pair, seen from both stores
    assert {risk.project_id, risk.other_project_id} == {project.pk, other.pk}
    assert risk.status == RiskStatus.ACKNOWLEDGED
    assert "The phone is replaced" in page.locator("#risks-card").inner_text()

    page.wait_for_selector("#readiness-card[data-percent]")
    page.fill("#readiness-card input[name=reason]", "ID front and W-8BEN-E follow by courier")
    with page.expect_response(lambda r: "/readiness/override/" in r.url):
        page.click("#readiness-override-submit")
    page.wait_for_selector("#readiness-card[data-overridden='true']")
    assert "ID front and W-8BEN-E follow" in page.locator("#readiness-override").inner_text()
    assert ReadinessOverride.objects.filter(project=project).count() == 1
    screenshot(page, "compliance-acknowledged-and-overridden")

    page.click("#stage-form button[data-stage-move=under_review]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#project-header").get_attribute("data-stage") == "under_review"

    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/readiness/")
    assert page.locator("#readiness-table tbody tr").count() == 4
    assert "ID front and W-8BEN-E follow" in page.locator("#override-list").inner_text()
    screenshot(page, "compliance-readiness-page")


def test_the_risk_page_lists_pairs_and_acknowledges_several_at_once(page, bob, as_bob, linked):
    project, other = linked
    # 丙丁's Amazon Germany store: Amazon links accounts across its scopes, so it is linked with
    # 甲乙's US store too; with 丙丁's own Canada store it is not (one entity, another scope)
    de = open_store(as_bob, other.entity, "amazon-de", "Bingding Home DE")
    login(page, bob)
    page.goto(page.base_url + "/o/acme/")
    page.click("a[data-nav=risks]")
    page.wait_for_selector("#risk-table")
    rows = page.locator("#risk-table tbody tr[data-risk-id]")
    assert rows.count() == 2  # one row per pair of stores
    table = page.locator("#risk-table").inner_text()
    assert project.code in table and other.code in table and de.code in table
    assert "********000" in table and "13800138000" not in page.content()
    screenshot(page, "compliance-risk-page")

    # tick every risk, one reason for all
    page.check("#risk-select-all")
    assert page.locator("input[name=risk_ids]:checked").count() == 2
    page.fill("#bulk-ack-reason", "Both companies belong to one group; explained to Amazon")
    with page.expect_navigation():
        page.click("#bulk-ack button[data-action=bulk-acknowledge]")
    assert "2" in page.locator("#flash").inner_text()
    assert page.locator("#risk-table tbody tr[data-risk-id]").count() == 0
    assert AssociationRisk.objects.filter(status=RiskStatus.ACKNOWLEDGED).count() == 2
    page.click("a[data-tab=acknowledged]")
    page.wait_for_selector("#risk-table")
    assert page.locator("#risk-table tbody tr[data-risk-id]").count() == 2
    screenshot(page, "compliance-risks-acknowledged")


def test_the_project_page_in_chinese_on_a_phone(browser, live_server, bob, linked):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base_url = live_server.url
    login(page, bob)
    project, _other = linked
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    page.wait_for_selector("#readiness-card[data-percent]")
    page.wait_for_selector("#risks-card[data-open]")
    assert "资料完整性" in page.locator("#readiness-card").inner_text()
    assert "关联风险" in page.locator("#risks-card").inner_text()
    screenshot(page, "compliance-project-phone-zh")
    context.close()


def test_the_batch_preview_warns_under_the_rows_that_would_be_linked(
    page, bob, linked, amazon_na, entity
):
    project, _other = linked
    login(page, bob)
    page.goto(page.base_url + "/o/acme/projects/batch/")
    page.select_option("#id_template", str(amazon_na.pk))
    with page.expect_navigation():
        page.click("#to-rows")
    page.fill(
        "#paste-area",
        "店铺名称\t站点\t主体\t负责人\n"
        "Bingding Home US\tamazon-us\t广州市丙丁贸易有限公司\t\n"
        f"Xinghe Home MX\tamazon-mx\t{entity.name}\t\n",
    )
    with page.expect_navigation():
        page.click("#paste-submit")
    with page.expect_navigation():
        page.click("#batch-preview")
    rows = page.locator("#batch-rows tbody tr")
    first, second = rows.nth(0), rows.nth(1)
    warning = first.locator("[data-row-risks]")
    assert warning.count() == 1 and warning.get_attribute("data-row-risks") == "1"
    assert "可能与 1 个店铺关联" in warning.inner_text()  # one line per row, details folded
    warning.locator("summary").click()
    # 丙丁's new US store shares 甲乙's phone (a risk); beside 丙丁's own Canada store it is the
    # same North America account (none)
    assert project.code in warning.inner_text() and "********000" in warning.inner_text()
    assert second.locator("[data-row-risks]").count() == 0  # shares nothing with anyone
    assert not page.locator("#batch-create").is_disabled()  # a warning, not an error
    screenshot(page, "compliance-batch-preview")
