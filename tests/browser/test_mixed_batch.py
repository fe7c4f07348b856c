"""A batch of three platforms pasted from Excel — Amazon US, Shopee Malaysia, TikTok Shop
Malaysia — each row taking its site's default template, one row naming its template in the fifth
column, previewed and created in one go, in headless Chromium."""

from __future__ import annotations

import pytest

from linkstar.catalog.models import Platform, Site
from linkstar.projects.models import StoreProject
from tests.support.browser import login, screenshot


@pytest.mark.django_db(transaction=True)
def test_paste_a_mixed_batch_and_create_it(page, org, bob, amazon_na, entity, entity_yunfan):
    # Every shipped site has a built-in template: a site added later has none yet.
    Site.objects.create(
        platform=Platform.objects.get(code="amazon"),
        code="amazon-za",
        name="亚马逊南非站",
        name_en="Amazon South Africa",
        country="ZA",
        currency="ZAR",
        language="en",
    )
    login(page, bob)
    page.goto(page.base_url + "/o/acme/projects/batch/")
    page.select_option("#id_template", "auto")
    with page.expect_navigation():
        page.click("#to-rows")
    assert page.locator("#batch-rows thead th", has_text="模板").count() == 1
    page.fill(
        "#paste-area",
        "店铺名称\t站点\t主体\t负责人\t模板\n"
        f"星河家居美国\t亚马逊美国站\t{entity.name}\tBob\t\n"
        f"星河家居马来西亚\tShopee马来西亚\t{entity.name}\t\t\n"
        f"云帆 TikTok 马来西亚\tTikTok Shop 马来西亚站\t{entity_yunfan.name}\t\t"
        "TikTok Shop cross-border store opening (UK / South-East Asia)\n"
        f"云帆南非\t亚马逊南非站\t{entity_yunfan.name}\t\t\n",
    )
    with page.expect_navigation():
        page.click("#paste-submit")
    rows = page.locator("#batch-rows tbody tr")
    assert rows.count() == 4
    with page.expect_navigation():
        page.click("#batch-preview")
    # no template for Amazon South Africa: the row says so, naming the site
    bad = rows.nth(3)
    assert bad.locator("input[name='row_template'].is-invalid").count() == 1
    assert "亚马逊南非站" in bad.locator(".invalid-feedback").inner_text()
    assert page.locator("#batch-create").is_disabled()
    screenshot(page, "mixed-batch-1-preview-error")

    bad.locator("[data-remove-row]").click()  # batch.js: no round trip
    with page.expect_navigation():
        page.click("#preview-again")
    assert page.locator("#batch-rows tr.ls-row-ok").count() == 3
    assert "Shopee 跨境店开店 SOP" in (
        rows.nth(1).locator("input[name='row_template']").get_attribute("placeholder")
    )
    screenshot(page, "mixed-batch-2-preview-clean")
    with page.expect_navigation():
        page.click("#batch-create")
    assert "?done=" in page.url
    assert page.locator("#created-projects tbody tr").count() == 3
    screenshot(page, "mixed-batch-3-created")
    created = {
        p.store_name: (p.code, p.template_version.template.key)
        for p in StoreProject.objects.select_related("template_version__template")
    }
    assert created == {
        "星河家居美国": ("AMZ-US-0001", "amazon-na"),
        "星河家居马来西亚": ("SHP-MY-0001", "shopee-cb"),
        "云帆 TikTok 马来西亚": ("TTS-MY-0001", "tiktok-shop-cb"),
    }
