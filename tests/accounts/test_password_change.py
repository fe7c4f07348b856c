"""Issue 17 §7: a page to change one's own password — the current one, the new one twice; the
password rules apply; the session stays signed in; audited without the values."""

from __future__ import annotations

from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from tests.support.clients import signed_in
from tests.support.seed import PASSWORD

PAGE = "/accounts/password/"
NEW = "a brand new phrase"


def _change(browser, current: str, new: str, again: str | None = None):
    return browser.post(
        PAGE,
        {"current_password": current, "new_password": new, "new_password_again": again or new},
    )


def test_the_user_menu_leads_to_the_page(org, bob):
    browser = signed_in(bob)
    assert 'href="/accounts/security/"' in browser.get("/o/acme/settings/members/").content.decode()
    assert browser.get("/accounts/security/").status_code == 200
    page = browser.get(PAGE)
    assert page.status_code == 200 and 'id="password-change-form"' in page.content.decode()


def test_a_wrong_current_password_changes_nothing(org, bob):
    answer = _change(signed_in(bob), "not my password", NEW)
    assert answer.status_code == 422 and "当前密码不正确" in answer.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_two_different_new_passwords_change_nothing(org, bob):
    answer = _change(signed_in(bob), PASSWORD, NEW, NEW + "!")
    assert answer.status_code == 422 and "两次输入的新密码不一致" in answer.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_by_the_rules(org, bob):
    answer = _change(signed_in(bob), PASSWORD, "bob@example.com")
    assert answer.status_code == 422 and "太相似" in answer.content.decode()
    answer = _change(signed_in(bob), PASSWORD, "qwertyuiop")
    assert answer.status_code == 422 and "这个密码太常见了" in answer.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_the_change_keeps_this_session_ends_the_others_and_is_audited(org, bob):
    browser, other = signed_in(bob), signed_in(bob)
    done = _change(browser, PASSWORD, NEW)
    assert done.status_code == 302 and done["Location"] == PAGE
    bob.refresh_from_db()
    assert bob.check_password(NEW)
    assert browser.get("/o/acme/settings/members/").status_code == 200  # still signed in
    assert other.get("/o/acme/settings/members/").status_code == 302  # signed out
    event = AuditEvent.objects.get(organization=org, action="user.password_changed")
    assert event.actor_id == bob.pk and NEW not in str(event.changes)
    fresh = Client().post("/accounts/login/", {"username": bob.email, "password": NEW})
    assert fresh.status_code == 302


def test_guessing_the_current_password_is_throttled(org, bob):
    browser = signed_in(bob)
    for i in range(5):
        with clock.travel(seconds=30 * i):  # each guess after the backoff's pause
            assert _change(browser, "guess", NEW).status_code == 422
    assert _change(browser, PASSWORD, NEW).status_code == 429
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_the_page_needs_a_signed_in_user(db):
    answer = Client().get(PAGE)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
