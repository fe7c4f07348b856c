"""Permission-matrix entries of the notifications endpoints."""

from __future__ import annotations

from tests.support.matrix import NO_ADMIN, Case

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/me/notifications"): Case(ok="carol", status=200),
    # reading one's inbox changes nothing of the organization: not audited
    ("POST", "/me/notifications/read"): Case(
        ok="carol", status=200, audited=False, body=lambda w: {"all": True}
    ),
    ("GET", "/orgs/{org}/notification-preferences"): Case(ok="carol", status=200),
    ("PUT", "/orgs/{org}/notification-preferences"): Case(
        ok="carol",
        status=200,
        body=lambda w: {"digest": True, "quiet_start": "22:00", "quiet_end": "07:00"},
    ),
    ("GET", "/orgs/{org}/notification-settings"): Case(ok="alice", status=200, denied=NO_ADMIN),
    ("PUT", "/orgs/{org}/notification-settings"): Case(
        ok="alice",
        status=200,
        denied=NO_ADMIN,
        body=lambda w: {"due_soon_days": [3, 1, 0], "stalled_days": 7},
    ),
}
