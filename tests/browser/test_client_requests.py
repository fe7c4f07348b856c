"""The client's portal and a document request end to end in a real browser (issue 15): the
manager asks from the project page in one click, the client answers on a phone (390 px), the team
sends one document back and accepts the other, and a client without an account uploads through a
link — in Chinese, the default language. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linkstar.docrequests.models import DocumentRequest, ItemStatus
from linkstar.documents.models import Document
from linkstar.projects.models import Stage, StoreProject, Task
from tests.support.browser import fits, screenshot, signed_in_pages
from tests.support.docrequests import client_of_entity
from tests.support.files import pdf_bytes, png_bytes

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


@pytest.fixture
def hana(org, entity):
    return client_of_entity(org, entity)


def _file(name: str, content: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": content}


@pytest.mark.django_db(transaction=True)
def test_ask_answer_review_on_a_phone_and_a_desktop(
    open_as, browser, live_server, settings, bob, carol, hana, mini_project, entity
):
    settings.LINKSTAR_BASE_URL = live_server.url  # where the links it makes point
    Task.objects.filter(project=mini_project, key="collect").update(
        document_types=["business_license", "bank_statement"]
    )
    StoreProject.objects.filter(pk=mini_project.pk).update(stage=Stage.NEEDS_INFO)

    # The manager: one click from the project in 需补料 prefills what is missing.
    manager = open_as(bob, locale="zh-CN")
    manager.goto(f"{manager.base_url}/o/acme/projects/{mini_project.pk}/")
    ask = manager.locator("#ask-client")
    expect(ask).to_contain_text("2")
    with manager.expect_navigation():
        ask.click()
    expect(manager.locator("#prefilled")).to_be_visible()
    expect(manager.locator("#item-0-type")).to_have_value("business_license")
    expect(manager.locator("#item-1-type")).to_have_value("bank_statement")
    manager.fill("#item-1-note", "对公账户近三个月流水")
    manager.fill("#message", "平台要求补充资料，请尽快上传。")
    screenshot(manager, "request-new-desktop")
    with manager.expect_navigation():
        manager.click("#send-request")
    request = DocumentRequest.objects.get()
    assert manager.url.endswith(f"/o/acme/requests/{request.pk}/")
    expect(manager.locator("#flash")).to_contain_text("已向客户发起补料请求")

    # The client, on a phone: the portal lists the request; it uploads both documents.
    client = open_as(hana, locale="zh-CN", **PHONE)
    client.goto(client.base_url + "/o/acme/")
    expect(client.locator("#portal-requests")).to_contain_text("营业执照")
    expect(client.locator("#portal-stores")).to_contain_text(mini_project.store_name)
    assert fits(client, PHONE["width"])
    screenshot(client, "portal-phone")
    with client.expect_navigation():
        client.click(".ls-portal-request")
    assert fits(client, PHONE["width"])
    for item, (name, content, mime) in zip(
        request.items.order_by("position"),
        [
            ("营业执照.pdf", pdf_bytes("licence"), "application/pdf"),
            ("流水.png", png_bytes(), "image/png"),
        ],
        strict=True,
    ):
        form = client.locator(f'.ls-upload-form[data-item-id="{item.pk}"]')
        form.locator('input[type="file"]').set_input_files(_file(name, content, mime))
        with client.expect_navigation():
            form.locator('button[type="submit"]').click()
        expect(client.locator(f"#item-{item.pk}")).to_have_attribute(
            "data-item-status", "submitted"
        )
    screenshot(client, "request-uploaded-phone")

    # The team: sends the statement back with a reason, accepts the licence into the vault.
    team = open_as(carol, locale="zh-CN")
    team.goto(f"{team.base_url}/o/acme/requests/{request.pk}/")
    licence_item = request.items.get(document_type__code="business_license")
    statement = request.items.get(document_type__code="bank_statement")
    statement_form = team.locator(f"#item-{statement.pk} .ls-review-form")
    statement_form.locator('input[name="reason"]').fill("流水不完整，缺少十月")
    with team.expect_navigation():
        statement_form.locator('[data-decision="reject"]').click()
    with team.expect_navigation():
        team.locator(f'#item-{licence_item.pk} [data-decision="accept"]').click()
    expect(team.locator(f"#item-{licence_item.pk}")).to_have_attribute(
        "data-item-status", "accepted"
    )
    assert Document.objects.filter(
        entity=entity, document_type__code="business_license", is_current=True
    ).exists()
    screenshot(team, "request-reviewed-desktop")

    # The client reads why the statement came back, on the phone and on a desktop.
    client.reload()
    expect(client.locator(f"#item-{statement.pk} .ls-item-reason")).to_contain_text("缺少十月")
    screenshot(client, "request-sent-back-phone")
    desk = open_as(hana, locale="zh-CN")
    desk.goto(desk.base_url + "/o/acme/")
    expect(desk.locator("#client-menu")).to_be_visible()
    expect(desk.locator("#portal-requests")).to_contain_text("银行对账单")
    expect(desk.locator("#portal-documents")).to_contain_text("营业执照")  # accepted: in the vault
    assert fits(desk, 1366)
    screenshot(desk, "portal-desktop")

    # A link for someone without an account: shown once, opens on a phone, takes the upload.
    with team.expect_navigation():
        team.click("#make-link")
    url = team.locator("#new-link-url").input_value()
    assert "/r/" in url
    screenshot(team, "request-link-desktop")
    stranger = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    stranger.goto(url)
    expect(stranger.locator("#items")).to_contain_text("银行对账单")
    assert fits(stranger, PHONE["width"])
    form = stranger.locator(f'.ls-upload-form[data-item-id="{statement.pk}"]')
    form.locator('input[type="file"]').set_input_files(
        _file("十月流水.pdf", pdf_bytes("october"), "application/pdf")
    )
    with stranger.expect_navigation():
        form.locator('button[type="submit"]').click()
    expect(stranger.locator("#uploaded")).to_be_visible()
    screenshot(stranger, "request-link-phone")
    statement.refresh_from_db()
    assert statement.status == ItemStatus.SUBMITTED
    stranger.context.close()
