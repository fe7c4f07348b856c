"""Platform mail in headless Chromium: an administrator sets a project's registration mailbox and
uploads an .eml the platform sent to it; the project's Mail tab shows the message sanitised (its
script never runs, its remote image never loads) and the stage the mail proposes; the manager
accepts it, an operator cannot."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from linkstar.core import clock
from linkstar.platformmail.models import InboundMessage, StageProposal
from linkstar.projects.services import change_stage
from tests.support.browser import english_left, fits, screenshot, signed_in_pages
from tests.support.gates import pass_gates

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


ADDRESS = "xinghe-us@register.acme-ops.cn"
SUBJECT = "亚马逊卖家账户：需要补充资料"


def platform_eml(tmp_path, *, remote_hits: list) -> str:
    """An Amazon mail to the project's mailbox: an RFC 2047 (UTF-8, base64) Chinese subject, an
    HTML body with a script and a remote image. Returns the file's path."""
    msg = EmailMessage()
    msg["From"] = "Amazon Seller Central <seller-verification@amazon.com>"
    msg["To"] = ADDRESS
    encoded = base64.b64encode(SUBJECT.encode()).decode()
    msg["Subject"] = f"=?UTF-8?B?{encoded}?="
    msg["Message-ID"] = "<needs-info-1@amazon.com>"
    msg["Date"] = format_datetime(clock.now().replace(microsecond=0))
    msg.set_content("您好，您的账户需要补充资料。Additional information required.")
    msg.add_alternative(
        "<html><body><h1 id='greeting'>您好</h1>"
        "<p>您的卖家账户<b>需要补充资料</b>：请上传营业执照。</p>"
        "<p>Additional information required.</p>"
        "<script>window.__pwned = true; parent.__pwned = true;</script>"
        f"<img src='{remote_hits[0]}' alt='tracker' onerror='window.__pwned = true'>"
        "<a href='javascript:parent.__pwned=true'>click</a>"
        "</body></html>",
        subtype="html",
    )
    raw = bytes(msg)
    assert b"subject: =?utf-8?b?" in raw.lower()  # the subject travels RFC 2047 encoded
    path = tmp_path / "amazon-needs-info.eml"
    path.write_bytes(raw)
    return str(path)


@pytest.fixture
def remote_image():
    """A real HTTP server the message's <img> points at: nothing may fetch it."""
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{server.server_address[1]}/pixel.gif", hits]
    server.shutdown()
    server.server_close()


def test_uploaded_platform_mail_shows_sanitised_and_the_manager_accepts_its_proposal(
    open_as, org, project, as_bob, alice, bob, carol, tmp_path, remote_image
):
    pass_gates(project)
    change_stage(actor=as_bob, project=project, stage="under_review", note="submitted")
    eml = platform_eml(tmp_path, remote_hits=remote_image)

    admin = open_as(alice)
    admin.goto(admin.base_url + f"/o/acme/projects/{project.pk}/?tab=mail")
    assert admin.locator("#mail-empty").is_visible()
    admin.fill("#mail-address-form input[name=address]", ADDRESS)
    with admin.expect_navigation():
        admin.click("#mail-address-form button[type=submit]")
    assert admin.locator("#mail-address").inner_text() == ADDRESS
    assert "tab=mail" in admin.url

    with admin.expect_navigation():
        admin.click("#nav-more")
        admin.click("a[data-nav=mail]")
    admin.set_input_files("#eml-file", eml)
    with admin.expect_navigation():
        admin.click("#eml-upload-form button[type=submit]")
    assert admin.locator("#flash .alert-success").count() == 1
    message = InboundMessage.objects.get()
    assert message.project_id == project.pk and message.subject == SUBJECT
    assert admin.locator("#mail-subject").inner_text() == SUBJECT
    assert project.code in admin.locator("#mail-project").inner_text()
    admin.goto(admin.base_url + "/o/acme/mail/")
    row = admin.locator(f'#mail-table tr[data-mail-id="{message.pk}"]')
    assert admin.locator("#mail-table thead th").nth(1).inner_text() == "发件人"  # not a date
    assert SUBJECT in row.inner_text() and project.code in row.inner_text()
    assert fits(admin, 1366)
    screenshot(admin, "platform-mail-inbox")

    # The manager opens the project's Mail tab.
    page = open_as(bob)
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/?tab=mail")
    card = page.locator(f"#mail-{message.pk}")
    header = card.locator(".card-header").inner_text()
    assert SUBJECT in header
    assert "seller-verification@amazon.com" in header
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", header)  # the date
    frame_element = card.locator("iframe")
    srcdoc = frame_element.get_attribute("srcdoc")
    assert "<script" not in srcdoc.lower() and "pwned" not in srcdoc
    assert remote_image[0] not in srcdoc
    assert "javascript:" not in srcdoc
    assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_selector("#greeting, h1")
    assert "需要补充资料" in frame.inner_text("body")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Playwright evaluates in the frame even though its sandbox lets no script of its own run.
    assert frame.evaluate("typeof window.__pwned") == "undefined"
    assert frame.evaluate("document.scripts.length") == 0
    assert frame.evaluate("document.images[0] && document.images[0].getAttribute('src')") in (
        None,
        "",
    )
    assert remote_image[1] == []  # the tracker was never fetched

    proposal = StageProposal.objects.get()
    assert (proposal.from_stage, proposal.stage, proposal.status) == (
        "under_review",
        "needs_info",
        "pending",
    )
    box = card.locator(f'[data-proposal-id="{proposal.pk}"]')
    assert box.get_attribute("data-proposal-status") == "pending"
    # Words shared with other pages in their own sense: "Dismiss" is not "close the hint".
    assert box.locator("[data-action=dismiss]").inner_text() == "忽略"
    assert page.locator("#mail-pending-count").is_visible()
    assert fits(page, 1366)
    screenshot(page, "project-mail")

    # The operator on the team sees it but may not decide.
    operator = open_as(carol)
    operator.goto(operator.base_url + f"/o/acme/projects/{project.pk}/?tab=mail")
    assert operator.locator(f"#mail-{message.pk}").is_visible()
    assert operator.locator("[data-action=accept]").count() == 0
    response = operator.request.post(
        operator.base_url + f"/o/acme/stage-proposals/{proposal.pk}/accept/",
        headers={
            "HX-Request": "true",  # a form post would be redirected back with the message
            "X-CSRFToken": operator.evaluate(
                "document.querySelector('meta[name=csrf-token]').content"
            ),
        },
    )
    assert response.status == 403
    proposal.refresh_from_db()
    assert proposal.status == "pending"

    with page.expect_navigation():
        box.locator("[data-action=accept]").click()
    assert page.locator("#flash .alert-success").count() == 1
    assert page.locator("#project-header").get_attribute("data-stage") == "needs_info"
    proposal.refresh_from_db()
    project.refresh_from_db()
    assert proposal.status == "accepted" and proposal.decided_by_id == bob.pk
    assert project.stage == "needs_info"
    assert (
        page.locator(f'[data-proposal-id="{proposal.pk}"]').get_attribute("data-proposal-status")
        == "accepted"
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)
    page.goto(page.base_url + f"/o/acme/mail/{message.pk}/")
    assert fits(page, 390)
    page.goto(page.base_url + "/o/acme/mail/")
    assert fits(page, 390)


def test_the_mail_pages_are_all_in_chinese(
    open_as, org, project, as_alice, as_bob, alice, tmp_path
):
    pass_gates(project)
    change_stage(actor=as_bob, project=project, stage="under_review")
    from linkstar.platformmail.services import (
        create_keyword_rule,
        ingest_message,
        set_project_mailbox,
    )

    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    create_keyword_rule(actor=as_alice, platform="amazon", phrase="补件通知", stage="needs_info")
    outcome = ingest_message(
        organization=org,
        raw=Path(platform_eml(tmp_path, remote_hits=["http://127.0.0.1:9/x.gif"])).read_bytes(),
        source="upload",
        actor=as_bob,
    )
    page = open_as(alice, locale="zh-CN")
    for path in (
        "mail/",
        f"mail/{outcome.message.pk}/",
        f"projects/{project.pk}/?tab=mail",
        "settings/mail/",
    ):
        page.goto(page.base_url + "/o/acme/" + path)
        # The message's own English and the header names (Delivered-To, X-Original-To) stay;
        # the settings quote the English words of a conditional clause ("if", "once").
        extra = {"seller", "verification", "additional", "information", "required", "once"}
        assert english_left(page, extra | {"delivered", "original"}) == [], path
    assert page.locator("#rule-table td[data-stage=needs_info]").inner_text() == "需补料"
    page.goto(page.base_url + f"/o/acme/mail/{outcome.message.pk}/")
    assert page.locator("dl dt").nth(0).inner_text() == "发件人"
    assert page.locator("dl dt").nth(1).inner_text() == "收件人"
