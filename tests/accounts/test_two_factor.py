"""Issue 17 §7: TOTP two-factor sign-in with recovery codes. Enrolment (QR code and the secret
as text, confirmed with a code), the second step of signing in (a code, or a single-use
recovery code), wrong codes under the sign-in throttle, turning it off, the organization's rule
that administrators use it, and ``POST /auth/token`` with ``otp``. Time is the project clock."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.db import connection
from django.test import Client

from linkstar import cli
from linkstar.accounts import twofactor
from linkstar.accounts.models import RecoveryCode, TwoFactor
from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient, signed_in
from tests.support.seed import PASSWORD

MOMENT = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(MOMENT):
        yield


def code_now(user, *, later: int = 0) -> str:
    secret = TwoFactor.objects.get(user=user).secret
    return pyotp.TOTP(secret).at(clock.now() + dt.timedelta(seconds=later))


def enrol(user) -> list[str]:
    twofactor.start_enrolment(user=user)
    return twofactor.confirm_enrolment(user=user, code=code_now(user))


def next_step():
    """The clock 30 s on: a code already used is refused, the next one is accepted."""
    return clock.travel(seconds=30)


def _password_step(browser: Client, user):
    return browser.post("/accounts/login/", {"username": user.email, "password": PASSWORD})


# --- enrolment ---------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_secret_then_a_code_turns_it_on(org, bob):
    browser = signed_in(bob)
    page = browser.get("/accounts/security/")
    assert page.status_code == 200 and 'id="two-factor-start"' in page.content.decode()
    assert browser.post("/accounts/security/", {"action": "start"}).status_code == 302
    page = browser.get("/accounts/security/").content.decode()
    device = TwoFactor.objects.get(user=bob)
    assert device.confirmed_at is None
    assert "<svg" in page and "https://" not in page.split('id="two-factor-qr"')[1][:5000]
    assert twofactor.grouped_secret(device.secret) in page  # the key to type by hand
    wrong = browser.post("/accounts/security/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 422 and not twofactor.has_two_factor(bob)
    right = browser.post("/accounts/security/", {"action": "confirm", "code": code_now(bob)})
    assert right.status_code == 302 and twofactor.has_two_factor(bob)
    shown = browser.get("/accounts/security/").content.decode()
    assert shown.count("font-monospace") == 1 and 'id="recovery-codes"' in shown
    assert 'id="recovery-codes"' not in browser.get("/accounts/security/").content.decode()
    assert RecoveryCode.objects.filter(user=bob, used_at__isnull=True).count() == 10
    assert AuditEvent.objects.filter(organization=org, action="two_factor.enabled").exists()


def test_the_secret_is_stored_encrypted_and_recovery_codes_hashed(org, bob):
    codes = enrol(bob)
    secret = TwoFactor.objects.get(user=bob).secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_twofactor WHERE user_id = %s", [bob.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:") and secret not in stored
    assert len(codes) == 10 and len(set(codes)) == 10
    hashes = set(RecoveryCode.objects.filter(user=bob).values_list("code_hash", flat=True))
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)


# --- signing in --------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(org, bob):
    enrol(bob)
    browser = Client()
    step = _password_step(browser, bob)
    assert step.status_code == 302 and step["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in browser.session  # not signed in yet
    assert browser.get("/o/acme/settings/members/").status_code == 302
    with next_step():
        done = browser.post("/accounts/login/verify/", {"code": code_now(bob)})
    assert done.status_code == 302
    assert browser.session["_auth_user_id"] == str(bob.pk)


def test_a_code_is_accepted_once(org, bob):
    enrol(bob)
    with next_step():
        code = code_now(bob)
        assert twofactor.verify_second_factor(user=bob, code=code)
        assert not twofactor.verify_second_factor(user=bob, code=code)


def test_a_recovery_code_signs_in_once(org, bob):
    codes = enrol(bob)
    browser = Client()
    _password_step(browser, bob)
    done = browser.post("/accounts/login/verify/", {"code": codes[3].upper()})
    assert done.status_code == 302 and browser.session["_auth_user_id"] == str(bob.pk)
    assert twofactor.recovery_codes_left(bob) == 9
    assert AuditEvent.objects.filter(action="two_factor.recovery_code_used").count() == 1
    again = Client()
    _password_step(again, bob)
    refused = again.post("/accounts/login/verify/", {"code": codes[3]})
    assert refused.status_code == 422 and "_auth_user_id" not in again.session


def test_wrong_codes_are_throttled_like_wrong_passwords(org, bob):
    enrol(bob)
    browser = Client(REMOTE_ADDR="10.0.1.1")
    _password_step(browser, bob)
    for i in range(5):
        with clock.travel(seconds=30 * i):  # each guess after the backoff's pause
            assert browser.post("/accounts/login/verify/", {"code": "123456"}).status_code == 422
    with next_step():
        paused = browser.post("/accounts/login/verify/", {"code": code_now(bob)})
    assert paused.status_code == 429 and "_auth_user_id" not in browser.session
    # the password step of the account is paused as well
    assert _password_step(Client(REMOTE_ADDR="10.0.1.2"), bob).status_code == 429


def test_the_second_step_expires(org, bob):
    enrol(bob)
    browser = Client()
    _password_step(browser, bob)
    with clock.travel(minutes=6):
        late = browser.post("/accounts/login/verify/", {"code": code_now(bob)})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in browser.session


def test_a_user_without_two_factor_signs_in_with_the_password(org, bob):
    browser = Client()
    step = _password_step(browser, bob)
    assert step.status_code == 302 and step["Location"] == "/"
    assert browser.session["_auth_user_id"] == str(bob.pk)


# --- recovery codes and turning off ------------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(org, bob):
    old = enrol(bob)
    with pytest.raises(InvalidInput):
        twofactor.regenerate_recovery_codes(user=bob, password="wrong")
    new = twofactor.regenerate_recovery_codes(user=bob, password=PASSWORD)
    assert set(new).isdisjoint(old)
    assert not twofactor.verify_second_factor(user=bob, code=old[0])
    assert twofactor.verify_second_factor(user=bob, code=new[0])


def test_turning_it_off_needs_a_code_or_the_password(org, bob):
    enrol(bob)
    browser = signed_in(bob)
    refused = browser.post(
        "/accounts/security/", {"action": "disable", "code": "000000", "password": "nope"}
    )
    assert refused.status_code == 422 and twofactor.has_two_factor(bob)
    with next_step():
        done = browser.post("/accounts/security/", {"action": "disable", "code": code_now(bob)})
    assert done.status_code == 302 and not twofactor.has_two_factor(bob)
    assert not RecoveryCode.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(organization=org, action="two_factor.disabled").exists()
    step = _password_step(Client(), bob)
    assert step["Location"] == "/"  # the password alone signs in again


# --- the organization's rule -------------------------------------------------------------------


def test_an_organization_may_require_it_of_administrators(org, alice, bob):
    browser = signed_in(alice)
    on = browser.post("/o/acme/settings/two-factor/", {"required": "1"})
    assert on.status_code == 302
    org.refresh_from_db()
    assert org.require_admin_two_factor
    event = AuditEvent.objects.get(organization=org, action="organization.two_factor_required")
    assert event.changes["require_admin_two_factor"] == {"before": False, "after": True}
    # alice has no authenticator: every page of the organization sends her to set it up
    page = browser.get("/o/acme/settings/members/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/security/"
    assert 'id="two-factor-required"' in page.content.decode()
    # bob is not an administrator: nothing changes for him
    assert signed_in(bob).get("/o/acme/settings/members/").status_code == 200
    enrol(alice)
    assert browser.get("/o/acme/settings/members/").status_code == 200


def test_only_an_administrator_sets_the_rule(org, bob):
    refused = signed_in(bob).post("/o/acme/settings/two-factor/", {"required": "1"})
    assert refused.status_code == 403
    org.refresh_from_db()
    assert not org.require_admin_two_factor


def test_an_administrator_signing_in_without_it_is_sent_to_set_it_up(org, alice, as_alice):
    twofactor.set_admin_requirement(actor=as_alice, required=True)
    browser = Client()
    step = _password_step(browser, alice)
    assert step.status_code == 302 and step["Location"] == "/accounts/security/"


# --- POST /auth/token --------------------------------------------------------------------------


def test_the_api_token_needs_the_code_of_a_user_with_two_factor(org, bob):
    codes = enrol(bob)
    api = ApiClient()
    credentials = {"email": bob.email, "password": PASSWORD}
    assert_error(api.post("/auth/token", credentials), 401, "otp_required")
    assert_error(api.post("/auth/token", {**credentials, "otp": "000000"}), 401, "invalid_otp")
    with next_step():
        answer = api.post("/auth/token", {**credentials, "otp": code_now(bob)})
    assert answer.status_code == 201 and answer.json()["token"]
    assert api.post("/auth/token", {**credentials, "otp": codes[0]}).status_code == 201
    assert_error(api.post("/auth/token", {**credentials, "otp": codes[0]}), 401, "invalid_otp")
    # a wrong password never says whether a code is needed
    assert_error(
        api.post("/auth/token", {"email": bob.email, "password": "wrong"}),
        401,
        "invalid_credentials",
    )


def test_an_administrator_required_to_use_it_gets_no_token_without_it(org, alice, bob, as_alice):
    """The organization's requirement holds on the API too: no token by password alone."""
    twofactor.set_admin_requirement(actor=as_alice, required=True)
    api = ApiClient()
    assert_error(
        api.post("/auth/token", {"email": alice.email, "password": PASSWORD}),
        403,
        "two_factor_setup_required",
    )
    # the requirement is for administrators: a manager of the organization is not concerned
    assert api.post("/auth/token", {"email": bob.email, "password": PASSWORD}).status_code == 201
    enrol(alice)
    with next_step():
        answer = api.post(
            "/auth/token", {"email": alice.email, "password": PASSWORD, "otp": code_now(alice)}
        )
    assert answer.status_code == 201


def test_the_api_token_of_a_user_without_two_factor_is_unchanged(org, bob):
    api = ApiClient()
    assert api.post("/auth/token", {"email": bob.email, "password": PASSWORD}).status_code == 201
    ignored = api.post("/auth/token", {"email": bob.email, "password": PASSWORD, "otp": "1"})
    assert ignored.status_code == 201


def test_wrong_codes_on_the_api_count_as_failed_sign_ins(org, bob):
    enrol(bob)
    api = ApiClient()
    credentials = {"email": bob.email, "password": PASSWORD}
    for i in range(5):
        with clock.travel(seconds=30 * i):
            assert_error(api.post("/auth/token", {**credentials, "otp": "000000"}), 401)
    with next_step():
        paused = api.post("/auth/token", {**credentials, "otp": code_now(bob)})
    assert_error(paused, 429, "too_many_attempts")


def test_an_operator_turns_it_off_for_a_user_who_lost_the_phone(org, bob, capsys):
    enrol(bob)
    assert cli.main(["user", "reset-two-factor", "--email", bob.email]) == 0
    assert not twofactor.has_two_factor(bob)
    assert not RecoveryCode.objects.filter(user=bob).exists()
    event = AuditEvent.objects.get(organization=org, action="two_factor.disabled")
    assert event.actor_id is None
    assert _password_step(Client(), bob)["Location"] == "/"
