"""The notification pages in headless Chromium: the bell in the navbar, the inbox (mark all read
without a reload), one's preferences, the organization's reminder settings; the navbar's "More"
menu; and the pages in Chinese with no English left over.

The helpers the browser tests of issues 5 and 6 share (``signed_in_pages`` behind each
``open_as``, ``english_left``, ``fits``) are in ``tests/support/browser.py``."""

from __future__ import annotations

import pytest

from linkstar.delivery.fanout import process_event
from linkstar.notifications.models import Event, Notification, NotificationPreference
from linkstar.projects.models import Task
from linkstar.projects.services import update_task
from tests.support.browser import english_left, fits, screenshot, signed_in_pages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_as(browser, live_server):
    yield from signed_in_pages(browser, live_server)


def process_all() -> None:
    for event_id in Event.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        process_event(event_id)


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
        # Reports for the agency's team; Import only to those who may import (administrators
        # and managers).
        assert len(hrefs) == (5 if who == "alice" else 4)
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
