"""API tokens with scopes and the background-jobs page in headless Chromium: a read-only personal
token is shown once, reads over HTTP and is refused a write, shows when it was last used, is
revoked; an administrator creates an organization token; the jobs page lists periodic jobs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from linkstar.accounts.models import ApiToken
from tests.support.browser import english_left, fits, screenshot, signed_in_pages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


def call(page, method: str, path: str, token: str, body: dict | None = None):
    """The API as a program calls it: urllib, a bearer token, JSON."""
    request = urllib.request.Request(
        page.base_url + "/api/v1" + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_read_only_token_reads_is_refused_a_write_shows_its_last_use_and_is_revoked(
    open_as, org, project, bob
):
    page = open_as(bob)
    page.goto(page.base_url + "/o/acme/settings/tokens/")
    page.fill("#token-form #id_name", "BI dashboard")
    page.select_option("#token-form #id_scope", "read")
    with page.expect_navigation():
        page.click("#create-token")
    raw = page.input_value("#new-token")
    assert raw.startswith("lsk_")
    token = ApiToken.objects.get(user=bob, name="BI dashboard")
    assert token.scope == "read"
    row = page.locator(f'#token-table tr[data-token-id="{token.pk}"]')
    assert row.locator("[data-scope=read]").count() == 1
    assert fits(page, 1366)
    screenshot(page, "tokens-scopes")

    status, body = call(page, "GET", "/orgs/acme/projects", raw)
    assert status == 200 and body["count"] == 1
    status, body = call(
        page, "PATCH", f"/orgs/acme/projects/{project.pk}", raw, {"store_name": "Renamed"}
    )
    assert status == 403 and body["code"] == "token_scope"
    status, body = call(page, "POST", "/orgs/acme/projects", raw, {"store_name": "New"})
    assert status == 403 and body["code"] == "token_scope"

    page.goto(page.base_url + "/o/acme/settings/tokens/")  # shown once: not again
    assert page.locator("#new-token").count() == 0 and raw not in page.content()
    row = page.locator(f'#token-table tr[data-token-id="{token.pk}"]')
    token.refresh_from_db()
    assert token.last_used_at is not None
    last_used = row.locator("[data-last-used]").inner_text()
    assert last_used[:4].isdigit() and ":" in last_used  # a time, not "never"

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("[data-action=revoke]").click()
    assert (
        page.locator(f'#token-table tr[data-token-id="{token.pk}"] [data-status=revoked]').count()
        == 1
    )
    assert call(page, "GET", "/orgs/acme/projects", raw)[0] == 401

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)


def test_an_admin_creates_an_organization_token_and_sees_the_periodic_jobs(open_as, org, alice):
    page = open_as(alice)
    page.goto(page.base_url + "/o/acme/settings/tokens/")
    page.fill("#org-token-form #id_org-name", "ERP integration")
    page.select_option("#org-token-form #id_org-role", "manager")
    page.select_option("#org-token-form #id_org-scope", "read_write")
    with page.expect_navigation():
        page.click("#create-org-token")
    raw = page.input_value("#new-token")
    token = ApiToken.objects.get(name="ERP integration")
    assert token.user != alice and token.scope == "read_write"  # its own service user
    row = page.locator(f'#org-token-table tr[data-token-id="{token.pk}"]')
    assert row.locator("[data-role=manager]").count() == 1
    assert call(page, "GET", "/orgs/acme/projects", raw)[0] == 200

    with page.expect_navigation():
        page.click("#settings-nav [data-tab=jobs]")
    names = page.locator("#periodic-table tr[data-periodic]").evaluate_all(
        "els => els.map(e => e.dataset.periodic)"
    )
    assert len(names) >= 3
    assert "delivery.scan_reminders" in names
    assert "delivery.deliver_due" in names
    assert page.locator("#job-counts [data-count=ready]").count() == 1
    assert fits(page, 1366)
    screenshot(page, "background-jobs")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)


def test_an_operator_gets_403_on_the_jobs_page(open_as, org, carol):
    page = open_as(carol)
    response = page.goto(page.base_url + "/o/acme/settings/jobs/")
    assert response.status == 403
    assert page.locator("#forbidden").is_visible()


def test_the_token_and_jobs_pages_are_all_in_chinese(open_as, org, alice):
    page = open_as(alice, locale="zh-CN")
    page.goto(page.base_url + "/o/acme/settings/tokens/")
    page.fill("#token-form #id_name", "报表")
    with page.expect_navigation():
        page.click("#create-token")
    # "Authorization: Bearer" is the header a program sends; "token:…" how the log names one.
    assert english_left(page, {"authorization", "token"}) == []
    page.goto(page.base_url + "/o/acme/settings/jobs/")
    assert english_left(page) == []
