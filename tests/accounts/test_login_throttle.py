"""Issue 17 §4: failed sign-ins are counted per account and per address, on the web form and on
POST /auth/token; past the limit, signing in is paused (429, saying for how long) before any
password is checked, and the account's owner gets a mail."""

from __future__ import annotations

import re

from django.test import Client

from linkstar.core import clock
from linkstar.delivery.models import Delivery
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient
from tests.support.seed import PASSWORD


def _minutes(text: str) -> int:
    return int(re.search(r"(\d+) (?:minutes|分钟)", text).group(1))


def _web(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_five_failures_pause_the_account_on_the_form(bob, carol):
    browser = Client(REMOTE_ADDR="10.0.0.1")
    for i in range(5):
        with clock.travel(seconds=30 * i):  # each try after the backoff's pause
            assert _web(browser, bob.email, "wrong").status_code == 200
    paused = _web(browser, bob.email, PASSWORD)  # even the right password now waits
    assert paused.status_code == 429
    assert 1 <= _minutes(paused.content.decode()) <= 15  # for how long (the window's end)
    # from another address, the same account is paused too; another account is not
    assert _web(Client(REMOTE_ADDR="10.0.0.2"), bob.email, PASSWORD).status_code == 429
    assert _web(Client(REMOTE_ADDR="10.0.0.2"), "carol@example.com", PASSWORD).status_code == 302


def test_the_api_pauses_the_account_and_its_owner_is_told(bob, org):
    api = ApiClient()
    for i in range(5):
        with clock.travel(seconds=30 * i):
            assert_error(api.post("/auth/token", {"email": bob.email, "password": "x"}), 401)
    body = assert_error(
        api.post("/auth/token", {"email": bob.email, "password": PASSWORD}),
        429,
        "too_many_attempts",
    )
    assert 1 <= _minutes(body["detail"]) <= 15
    (mail,) = Delivery.objects.filter(kind="email", recipient=bob)
    assert mail.summary  # one mail, however many more attempts follow
    api.post("/auth/token", {"email": bob.email, "password": "x"})
    assert Delivery.objects.filter(kind="email", recipient=bob).count() == 1


def test_one_address_trying_many_accounts_is_paused(bob, settings):
    settings.LINKSTAR_LOGIN_ADDRESS_RATE = "10/15m"
    browser = Client(REMOTE_ADDR="10.0.0.9")
    for i in range(10):
        _web(browser, f"nobody{i}@example.com", "x")
    assert _web(browser, bob.email, PASSWORD).status_code == 429
    assert _web(Client(REMOTE_ADDR="10.0.0.10"), bob.email, PASSWORD).status_code == 302


def test_a_huge_password_is_refused_unhashed(bob):
    answer = ApiClient().post("/auth/token", {"email": bob.email, "password": "x" * 100_000})
    assert answer.status_code in (401, 429) and answer.json()["code"] == "invalid_credentials"


def test_failures_back_off_before_the_lock(bob):
    """Two failures are free; then each try must wait twice as long as the one before (2, 4 s),
    refused unhashed and uncounted when too soon — guessing slows down before it locks."""
    api = ApiClient()
    for _ in range(3):
        assert_error(api.post("/auth/token", {"email": bob.email, "password": "x"}), 401)
    body = assert_error(
        api.post("/auth/token", {"email": bob.email, "password": PASSWORD}),
        429,
        "too_many_attempts",
    )
    assert re.search(r"\b2\b", body["detail"])  # wait 2 seconds
    with clock.travel(seconds=3):
        assert_error(api.post("/auth/token", {"email": bob.email, "password": "x"}), 401)
        with clock.travel(seconds=1):
            body = assert_error(api.post("/auth/token", {"email": bob.email, "password": "x"}), 429)
            assert re.search(r"\b3\b", body["detail"])  # 4 seconds after the 4th, 1 gone
        with clock.travel(seconds=5):  # waited: the right password signs in
            assert (
                api.post("/auth/token", {"email": bob.email, "password": PASSWORD}).status_code
                == 201
            )


def test_behind_a_proxy_each_client_is_counted_on_its_own(bob, carol, settings):
    """Every request comes from the proxy: the client is the address it forwards, so one
    person's failures never pause another's sign-in."""
    settings.LINKSTAR_BEHIND_TLS_PROXY = True
    settings.LINKSTAR_LOGIN_ADDRESS_RATE = "3/15m"

    def from_client(address: str) -> Client:
        return Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {address}")

    guesser = from_client("203.0.113.7")
    for i in range(3):
        with clock.travel(seconds=30 * i):
            _web(guesser, f"nobody{i}@example.com", "x")
    assert _web(guesser, bob.email, PASSWORD).status_code == 429
    assert _web(from_client("198.51.100.2"), bob.email, PASSWORD).status_code == 302


def test_a_request_without_an_address_is_answered_not_failed(bob):
    api = ApiClient()
    api.client.defaults["REMOTE_ADDR"] = ""
    assert_error(api.post("/auth/token", {"email": bob.email, "password": "x"}), 401)
