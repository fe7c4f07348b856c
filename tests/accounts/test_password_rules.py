"""Issue 17 §7: Django's password validators (too short, too common, too close to the email or
name, digits only) refuse a weak password in every way a password is set — the services, the
CLI, the API and the pages — in the reader's language, changing nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.test import Client
from django.utils import translation

from linkstar import cli
from linkstar.accounts.models import Membership, User
from linkstar.accounts.services import add_member, create_user, set_user_password
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput
from linkstar.demo import create_demo
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient, signed_in
from tests.support.seed import PASSWORD

WEAK = [
    ("short1x", "此密码太短"),  # under 8 characters
    ("password123", "这个密码太常见了"),
    ("98765432109", "密码只包含数字"),
    ("zoe.example.com", "太相似"),  # the email again
]


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_creating_a_user_refuses_a_weak_password(db, password, says):
    with pytest.raises(InvalidInput) as refused:
        create_user(email="zoe@example.com", password=password, name="Zoe")
    assert refused.value.errors[0].field == "password"
    assert any(says in str(e.message) for e in refused.value.errors), refused.value.errors
    assert not User.objects.filter(email="zoe@example.com").exists()


def test_the_password_rules_speak_english_to_an_english_reader(db):
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        create_user(email="zoe@example.com", password="short1x")
    assert "at least 8 characters" in str(refused.value.errors[0].message)


def test_a_password_longer_than_sign_in_accepts_is_refused(db):
    with pytest.raises(InvalidInput):
        create_user(email="zoe@example.com", password="a long phrase " * 100)


def test_a_password_close_to_the_name_is_refused(db):
    with pytest.raises(InvalidInput):
        create_user(email="z@example.com", password="zoeyang!", name="Zoeyang")


def test_an_admin_adding_a_member_with_a_weak_password_is_refused(org, as_alice):
    with pytest.raises(InvalidInput):
        add_member(actor=as_alice, email="zoe@example.com", role="operator", password="12345678")
    assert not Membership.objects.filter(user__email="zoe@example.com").exists()


def test_the_api_refuses_a_weak_password_of_a_new_member(org, alice):
    body = assert_error(
        ApiClient(alice).post(
            "/orgs/acme/members",
            {"email": "zoe@example.com", "role": "operator", "password": "password123"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "password"
    assert not User.objects.filter(email="zoe@example.com").exists()


def test_the_members_page_refuses_a_weak_password(org, alice):
    page = signed_in(alice).post(
        "/o/acme/settings/members/",
        {"email": "zoe@example.com", "role": "operator", "name": "", "password": "password123"},
    )
    assert page.status_code == 422
    assert "这个密码太常见了" in page.content.decode()
    assert not User.objects.filter(email="zoe@example.com").exists()


def test_the_cli_refuses_a_weak_password_and_says_why(db, capsys):
    code = cli.main(["user", "create", "--email", "zoe@example.com", "--password", "password"])
    assert code == 2
    assert "这个密码太常见了" in capsys.readouterr().err
    assert not User.objects.filter(email="zoe@example.com").exists()
    assert cli.main(["user", "create", "--email", "zoe@example.com", "--password", PASSWORD]) == 0
    assert User.objects.get(email="zoe@example.com").check_password(PASSWORD)


def test_the_cli_sets_a_password_under_the_same_rules_and_audits_it(org, bob, capsys):
    assert cli.main(["user", "set-password", "--email", bob.email, "--password", "12345678"]) == 2
    assert "密码只包含数字" in capsys.readouterr().err
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    args = ["user", "set-password", "--email", bob.email, "--password", "a new long phrase"]
    assert cli.main(args) == 0
    bob.refresh_from_db()
    assert bob.check_password("a new long phrase")
    event = AuditEvent.objects.get(organization=org, action="user.password_set")
    assert "a new long phrase" not in str(event.changes)


def test_set_password_of_an_unknown_user_is_not_found(db):
    with pytest.raises(Exception) as refused:
        set_user_password(email="nobody@example.com", password=PASSWORD)
    assert refused.value.status == 404


def test_the_test_and_demo_passwords_pass_the_rules(catalog):
    validate_password(PASSWORD, User(email="alice@example.com", name="Alice"))
    out = create_demo(slug="demo")
    assert "open-stores-together" in out
    browser = Client()
    answer = browser.post(
        "/accounts/login/",
        {"username": "bob@demo.linkstar.local", "password": "open-stores-together"},
    )
    assert answer.status_code == 302
