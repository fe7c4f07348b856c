"""The notification pages in headless Chromium: the bell in the navbar, the inbox (mark all read
without a reload), one's preferences, the organization's reminder settings; the navbar's "More"
menu; and the pages in Chinese with no English left over.

Also home of the helpers the other browser tests of issues 5 and 6 share (``open_as``,
``english_left``)."""

from __future__ import annotations

import re

import pytest

from linkstar.notifications.fanout import process_event
from linkstar.notifications.models import Event, Notification, NotificationPreference
from linkstar.projects.models import Task
from linkstar.projects.services import update_task
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

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


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


def process_all() -> None:
    for event_id in Event.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        process_event(event_id)


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


def test_an_assigned_task_rings_the_bell_and_mark_all_read_clears_it_in_place(
    open_as, org, project, as_bob, bob, carol
):
    process_all()  # the project's creation: bob's news, not carol's
    Notification.objects.all().delete()
    # a task of another role (carol, the team's operator, holds the operator tasks already)
    task = (
        Task.objects.filter(project=project, due_date__isnull=False)
        .exclude(assignee=carol)
        .order_by("position")
        .first()
    )
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    process_all()
    assert Notification.objects.filter(recipient=carol).count() == 1

    page = open_as(carol)
    page.goto(page.base_url + f"/o/acme/projects/{project.pk}/")
    bell = page.locator("#notification-bell")
    assert bell.is_visible()
    assert page.locator("#bell-count").inner_text() == "1"
    with page.expect_navigation():
        bell.click()
    assert page.locator("body[data-section=notifications]").count() == 1
    rows = page.locator("#notification-items [data-notification-id]")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert project.code in text
    assert task.title in text  # Chinese: the user's language, whatever the browser's
    assert task.due_date.isoformat() in text
    assert rows.first.get_attribute("data-read") == "0"
    screenshot(page, "notifications-inbox")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits(page, 390)
    # On a phone the bell stays in sight, outside the collapsed menu.
    assert page.locator("#notification-bell").is_visible()
    screenshot(page, "notifications-inbox-phone")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.evaluate("window.__same_page = true")
    with page.expect_response(lambda r: "/notifications/read-all/" in r.url):
        page.click("#mark-all-read")
    page.wait_for_selector("#bell-count.d-none", state="attached")
    assert page.evaluate("window.__same_page") is True  # swapped by htmx, no reload
    assert page.locator("#bell-count").get_attribute("data-count") == "0"
    assert page.locator("#notification-items [data-read='0']").count() == 0
    assert Notification.objects.get(recipient=carol).read_at is not None

    # The notification's link opens the task.
    with page.expect_navigation():
        page.locator("#notification-items [data-notification-id] a").first.click()
    assert page.url.endswith(f"/o/acme/tasks/{task.pk}/")
    assert page.locator("#task-body").count() == 1


def test_preferences_are_saved_and_shown_again(open_as, org, carol):
    page = open_as(carol)
    page.goto(page.base_url + "/o/acme/notifications/preferences/")
    assert page.locator("#settings-nav [data-tab=notifications].active").count() == 1
    assert page.locator("#settings-nav [data-tab=reminders]").count() == 0
    email = page.locator("#preference-table tr[data-kind='task.assigned'] input[name=email]")
    assert email.is_checked()
    email.uncheck()
    page.fill("#id_quiet_start", "22:00")
    page.fill("#id_quiet_end", "07:30")
    page.check("#id_digest")
    screenshot(page, "notification-preferences")
    with page.expect_navigation():
        page.click("#save-preferences")
    assert page.locator("#flash .alert-success").count() == 1
    page.reload()
    assert not page.locator(
        "#preference-table tr[data-kind='task.assigned'] input[name=email]"
    ).is_checked()
    assert page.locator(
        "#preference-table tr[data-kind='task.due_soon'] input[name=email]"
    ).is_checked()
    assert page.input_value("#id_quiet_start") == "22:00"
    assert page.input_value("#id_quiet_end") == "07:30"
    assert page.locator("#id_digest").is_checked()
    saved = NotificationPreference.objects.get(user=carol)
    assert "task.assigned" not in saved.email_kinds and saved.digest

    # Only one end of the quiet hours: refused, and the field named.
    page.fill("#id_quiet_end", "")
    with page.expect_navigation():
        page.click("#save-preferences")
    assert page.locator("#preferences-error").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/o/acme/notifications/preferences/")
    assert fits(page, 390)


def test_an_admin_sets_the_reminder_lead_days_and_an_operator_gets_403(open_as, org, alice, carol):
    page = open_as(alice)
    page.goto(page.base_url + "/o/acme/notifications/preferences/")
    with page.expect_navigation():
        page.click("#settings-nav [data-tab=reminders]")
    assert page.input_value("#id_due_soon_days") == "2, 0"
    page.fill("#id_due_soon_days", "3, 1, 0")
    page.fill("#id_stalled_days", "7")
    with page.expect_navigation():
        page.click("#save-reminder-settings")
    assert page.locator("#flash .alert-success").count() == 1
    assert page.input_value("#id_due_soon_days") == "3, 1, 0"
    assert page.input_value("#id_stalled_days") == "7"
    page.fill("#id_due_soon_days", "soon")
    with page.expect_navigation():
        page.click("#save-reminder-settings")
    assert page.locator("#settings-error").is_visible()

    carol_page = open_as(carol)
    response = carol_page.goto(carol_page.base_url + "/o/acme/notifications/settings/")
    assert response.status == 403
    assert carol_page.locator("#forbidden").is_visible()


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_the_more_menu_opens_and_each_of_its_links_works(open_as, org, request, who):
    user = request.getfixturevalue(who)
    for width in (1366, 390):
        page = open_as(user, width=width, height=844)
        page.goto(page.base_url + "/o/acme/")
        if width < 1200:
            page.click("button.navbar-toggler")
            page.wait_for_selector("#mainnav.show")
        page.click("#nav-more")
        menu = page.locator("#nav-more + .dropdown-menu")
        menu.wait_for(state="visible")
        hrefs = menu.locator("a.dropdown-item").evaluate_all("els => els.map(e => e.href)")
        # Import is offered only to those who may import (administrators and managers).
        assert len(hrefs) == (4 if who == "alice" else 3)
        box = menu.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
        with page.expect_navigation():
            menu.locator("a[data-nav=mail]").click()
        assert "/o/acme/mail/" in page.url
        for href in hrefs:
            response = page.goto(href)
            assert response.status == 200, href
            assert fits(page, width), href


def test_the_notification_pages_are_all_in_chinese(open_as, org, project, as_bob, alice, carol):
    process_all()
    task = Task.objects.filter(project=project, due_date__isnull=False).order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    process_all()
    page = open_as(carol, locale="zh-CN")
    page.goto(page.base_url + "/o/acme/notifications/")
    assert page.locator("html[lang=zh-hans]").count() == 1
    assert english_left(page) == []
    page.goto(page.base_url + "/o/acme/notifications/preferences/")
    assert english_left(page) == []

    admin = open_as(alice, locale="zh-CN")
    admin.goto(admin.base_url + "/o/acme/notifications/settings/")
    assert english_left(admin) == []
    admin.goto(admin.base_url + "/o/acme/notifications/")
    assert english_left(admin) == []


def test_the_navbar_wraps_but_is_never_cut_off_in_english_or_chinese(open_as, org, alice):
    for language in ("en", "zh-hans"):
        alice.language = language
        alice.save(update_fields=["language"])
        for width in (1200,):  # the narrowest width that shows the links in a row
            page = open_as(alice, width=width)
            page.goto(page.base_url + "/o/acme/notifications/")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            sign_out = page.locator("nav form[action$='/logout/'] button")
            box = sign_out.bounding_box()
            assert sign_out.is_visible() and box["x"] + box["width"] <= width, (language, width)
            assert page.locator("#notification-bell").bounding_box()["x"] < width
            page.context.close()
