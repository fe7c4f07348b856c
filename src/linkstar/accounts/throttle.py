"""Failed sign-ins, counted per account and per address (issue 17 §4), on the web form and
``POST /auth/token``: past ``LINKSTAR_LOGIN_ACCOUNT_RATE`` failures for one account, or
``LINKSTAR_LOGIN_ADDRESS_RATE`` from one address, sign-ins are refused (429, saying for how long)
until the window ends — before any password is hashed, so neither guessing nor flooding makes
the server hash. A first lock of an account is announced (``ACCOUNT_LOCKED``): its owner gets a
mail. Counters live in the cache (django-ratelimit): per process with the embedded cache, shared
with Redis."""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from linkstar.core import clock
from linkstar.core.announcements import ACCOUNT_LOCKED, announce
from linkstar.core.exceptions import DomainError

MAX_PASSWORD_LENGTH = 1024  # longer is refused unhashed: no password of ours is that long


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def _account_key(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def _usage(request, email: str, *, increment: bool) -> tuple[dict, dict]:
    account = get_usage(
        request,
        group="login-account",
        key=lambda _group, _request: _account_key(email),
        rate=settings.LINKSTAR_LOGIN_ACCOUNT_RATE,
        increment=increment,
    )
    address = get_usage(
        request,
        group="login-address",
        key="ip",
        rate=settings.LINKSTAR_LOGIN_ADDRESS_RATE,
        increment=increment,
    )
    return account, address


def _refusal(usage: dict) -> TooManyAttempts:
    minutes = max(1, math.ceil((usage.get("time_left") or 60) / 60))
    return TooManyAttempts(
        _(
            "Too many failed sign-ins. For your security, signing in is paused for %(n)d "
            "minutes; try again later or reset your password with an administrator."
        )
        % {"n": minutes}
    )


# Failures of one account allowed without a pause; each further one doubles the pause before
# the next try (2, 4, 8 … seconds) until the lock.
FREE_FAILURES = 2


def _last_failure_key(email: str) -> str:
    prefix = getattr(settings, "RATELIMIT_CACHE_PREFIX", "rl:")
    return f"{prefix}login-last:{_account_key(email)}"


def _backoff(account: dict | None, email: str) -> None:
    """Between the free failures and the lock, a try too soon after the last failure is refused
    (429 saying for how many seconds), before any password is hashed."""
    if not account or account["count"] <= FREE_FAILURES:
        return
    last = cache.get(_last_failure_key(email))
    if last is None:
        return
    pause = 2 ** (account["count"] - FREE_FAILURES)
    wait = math.ceil(last + pause - clock.now().timestamp())
    if wait > 0:
        raise TooManyAttempts(
            _("Wrong email or password too often: wait %(n)d seconds before trying again.")
            % {"n": wait},
            code="too_many_attempts",
        )


def guard(request, email: str, password: str) -> None:
    """Refuse before the password is checked: a locked account or address, a try too soon
    after the last failures (backoff), or a password too long to be one of ours."""
    account, address = _usage(request, email, increment=False)
    for usage in (account, address):
        if usage and usage["count"] >= usage["limit"]:
            raise _refusal(usage)
    _backoff(account, email)
    if len(password or "") > MAX_PASSWORD_LENGTH:
        failed(request, email)
        raise TooManyAttempts(_("Wrong email or password."), code="invalid_credentials")


def failed(request, email: str) -> None:
    """Count a failed sign-in; the first time it locks the account, tell its owner."""
    account, _address = _usage(request, email, increment=True)
    cache.set(_last_failure_key(email), clock.now().timestamp(), timeout=900)
    if account and account["count"] >= account["limit"]:
        prefix = getattr(settings, "RATELIMIT_CACHE_PREFIX", "rl:")
        flag = f"{prefix}login-locked:{_account_key(email)}"
        if cache.add(flag, 1, timeout=account.get("time_left") or 900):
            announce(ACCOUNT_LOCKED, email=(email or "").strip().lower())
