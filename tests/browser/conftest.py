"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server
(a real HTTP server on 127.0.0.1 serving the real pages). Screenshots go to test-artifacts/."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
FAKETIME_VARS = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC")

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop vs. the ORM
    from playwright.sync_api import sync_playwright

    # Under faketime (the suite's second pass, a year ahead) the server's clock moves; the
    # browser is the user's machine and keeps the real one (Chromium does not run preloaded).
    moved = {name: os.environ.pop(name) for name in FAKETIME_VARS if name in os.environ}
    try:
        playwright = sync_playwright().start()
    finally:
        os.environ.update(moved)
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()
