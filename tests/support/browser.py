"""Helpers of the browser tests (headless Chromium): signing in, screenshots, pages in their own
contexts, and the checks for English left in Chinese pages and for pages that fit their width."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.seed import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def login(page, user) -> None:
    """Sign in through the real form."""
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Words that may stay in Latin letters on a Chinese page: names, brands, codes, units.
LATIN_OK = {
    "linkstar",
    "acme",
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "example",
    "com",
    "xinghe",
    "home",
    "us",
    "wecom",
    "dingtalk",
    "feishu",
    "lark",
    "webhook",
    "json",
    "api",
    "url",
    "ical",
    "ics",
    "csv",
    "xlsx",
    "zip",
    "eml",
    "imap",
    "smtp",
    "sha",
    "hmac",
    "amazon",
    "ebay",
    "walmart",
    "shopee",
    "tiktok",
    "temu",
    "aliexpress",
    "etsy",
    "lazada",
    "mercado",
    "libre",
    "shopify",
    "ozon",
    "wildberries",
    "otto",
    "rakuten",
    "coupang",
    "allegro",
    "shein",
    "noon",
    "bearer",
    "lsk",
    "http",
    "https",
    "id",
    "ids",
    "na",
    "eu",
    "jp",
    "uk",
    "de",
    "fr",
    "asia",
    "shanghai",
    "utc",
    "gmt",
    "html",
    "pdf",
    "png",
    "jpg",
    "www",
    "org",
    "cron",
    "min",
    "max",
    "kb",
    "mb",
    "gb",
    "ok",
    "test",
    "mailbox",
    "xxxx",
    "shenzhen",
    "hangzhou",
    "yunfan",
    "sellercentral",
    "seller",
    "central",
    "mail",
    "reg",
    "mailer",
    "project",
    "sub",
    "vcalendar",
    "webcal",
    "markdown",
    "pm",
    "am",
    "rq",
    "redis",
    "ssl",
    "tls",
    "starttls",
    "wish",
    "shop",
    "global",
    "erp",
    "usd",
    "eur",
    "gbp",
    "jpy",
    "cny",
    "english",  # the language switch names each language in its own tongue
}


def english_left(page, extra_ok: set[str] = frozenset()) -> list[str]:
    """Latin words of three letters or more in the page's visible text (and its buttons'
    labels and placeholders) that are not names, brands or codes."""
    text = page.evaluate(
        """() => {
            const parts = [document.body.innerText];
            for (const el of document.querySelectorAll('[placeholder],[title],[aria-label]')) {
                for (const a of ['placeholder', 'title', 'aria-label']) {
                    if (el.getAttribute(a)) parts.push(el.getAttribute(a));
                }
            }
            for (const el of document.querySelectorAll('input[type=submit],input[type=button]')) {
                parts.push(el.value);
            }
            return [parts.join('\\n'),
                    [...document.querySelectorAll('code, kbd, pre')].map(e => e.innerText)];
        }"""
    )
    text, codes = text
    for code in codes:  # addresses, keys and codes shown as such
        text = text.replace(code, " ")
    ok = LATIN_OK | {w.lower() for w in extra_ok}
    # Drop e-mail addresses, URLs, file names, project codes and identifiers first.
    text = re.sub(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:zip|xlsx|csv|ics|eml)\b", " ", text)
    text = re.sub(
        r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b|\b\w*\d\w*\b|\b[a-z]+(?:[_.-][a-z]+)+\b", " ", text
    )
    words = re.findall(r"[A-Za-z]{3,}", text)
    return sorted({w for w in words if w.lower() not in ok})


def signed_in_pages(browser, live_server):
    """The body of an ``open_as`` fixture (each browser test file of issues 5 and 6 has one):
    ``open_as(user, locale=..., width=...)`` → a page in its own browser context, signed in."""
    contexts = []

    def make(user, *, width: int = 1366, height: int = 768, locale: str = "en-US"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url
        login(page, user)
        return page

    yield make
    for context in contexts:
        context.close()


def fits(page, width: int) -> bool:
    """Nothing sticks out sideways (the scroll boxes of wide tables excepted)."""
    wide = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .filter(e => !e.closest('.table-responsive, .overflow-auto, .dropdown-menu, .offcanvas'))
            .filter(e => e.checkVisibility({visibilityProperty: true}))
            .map(e => e.tagName + '#' + e.id + '.' + e.className + '@' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""",
        width,
    )
    assert not wide, wide
    return page.evaluate("document.documentElement.scrollWidth") <= width
