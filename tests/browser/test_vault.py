"""The document vault in a real browser (in Chinese, the default language): a refused file, then a licence uploaded with its expiry,
listed with its status and what expires next, downloaded byte for byte, and attached to a task."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linkstar.documents.models import Document, TaskAttachment
from tests.support.browser import login, screenshot
from tests.support.files import exe_bytes, pdf_bytes


@pytest.mark.django_db(transaction=True)
def test_upload_list_download_and_attach_a_licence(page, org, bob, carol, entity, project):
    login(page, bob)
    page.goto(page.base_url + "/o/acme/")
    with page.expect_navigation():
        page.click('nav [data-nav="vault"]')
    assert page.url.endswith("/o/acme/documents/")
    expect(page.locator('[data-nav="vault"]')).to_have_class("nav-link active")
    before = Document.objects.count()

    form = page.locator("#upload-form")
    form.locator("#id_entity").select_option(str(entity.pk))
    form.locator("#id_document_type").select_option("business_license")

    # A program renamed .pdf is refused on the form, and nothing is stored.
    form.locator("#id_file").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": exe_bytes()}
    )
    with page.expect_navigation():
        page.click("#upload-submit")
    error = page.locator('[data-error-for="file"]')
    expect(error).to_contain_text("不属于可接受的类型")
    assert Document.objects.count() == before
    screenshot(page, "vault-upload-refused")

    # The real licence, expiring in 20 days.
    content = pdf_bytes("Shenzhen Xinghe business licence")
    expiry = timezone.localdate() + dt.timedelta(days=20)
    form = page.locator("#upload-form")
    form.locator("#id_entity").select_option(str(entity.pk))
    form.locator("#id_document_type").select_option("business_license")
    form.locator("#id_issue_date").fill("2021-03-01")
    form.locator("#id_expiry_date").fill(expiry.isoformat())
    form.locator("#id_notes").fill("彩色扫描件，加盖公章")
    form.locator("#id_file").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": content}
    )
    with page.expect_navigation():
        page.click("#upload-submit")
    document = Document.objects.get(original_name="营业执照.pdf")
    assert page.url.endswith(f"/o/acme/documents/{document.pk}/")
    expect(page.locator("#flash")).to_contain_text("已上传“营业执照.pdf”")
    expect(page.locator("#document-title [data-status]")).to_have_text("即将到期")
    expect(page.locator("#document-sha256")).to_have_text(hashlib.sha256(content).hexdigest())
    screenshot(page, "vault-document")

    # The download link streams the exact bytes under the Chinese name.
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "营业执照.pdf"
    assert Path(download.path()).read_bytes() == content

    # Listed on the vault with its status, and in what expires next.
    page.goto(page.base_url + "/o/acme/documents/")
    row = page.locator(f'#document-table tr[data-document-id="{document.pk}"]')
    expect(row).to_contain_text("营业执照.pdf")
    expect(row.locator("[data-status]")).to_have_text("即将到期")
    expect(page.locator(f'#expiring [data-document-id="{document.pk}"]')).to_contain_text("20 天后")
    with page.expect_download() as download_info:
        row.locator('[data-action="download"]').click()
    assert Path(download_info.value.path()).read_bytes() == content
    screenshot(page, "vault")

    # On the licence task, the licence is attached (htmx) and shows which version was used.
    task = project.tasks.get(key="prepare-license")
    page.goto(page.base_url + f"/o/acme/tasks/{task.pk}/")
    panel = page.locator("#task-attachments")
    expect(panel.locator("#no-attachments")).to_be_visible()
    panel.locator("#attach-form select").select_option(str(document.pk))
    panel.locator("#attach-form button").click()
    expect(page.locator(f'#task-attachments [data-document-id="{document.pk}"]')).to_contain_text(
        f"v{document.version_number}"
    )
    assert TaskAttachment.objects.filter(task=task, document=document).exists()
    page.locator("#task-attachments").scroll_into_view_if_needed()
    screenshot(page, "vault-task-attachments")

    # On a phone, the task page with its attachments panel does not scroll sideways; nor the vault.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (f"/o/acme/tasks/{task.pk}/", "/o/acme/documents/"):
        page.goto(page.base_url + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (url, overflow)
    screenshot(page, "vault-phone")
