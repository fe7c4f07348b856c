"""Permission-matrix entries of the working-day calendar endpoints."""

from __future__ import annotations

from tests.support.matrix import NO_ADMIN, Case

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/orgs/{org}/calendar"): Case(ok="carol", status=200),
    ("PUT", "/orgs/{org}/calendar"): Case(
        ok="alice",
        status=200,
        denied=NO_ADMIN,
        body=lambda w: {
            "weekdays": [0, 1, 2, 3, 4, 5],
            "exceptions": [{"date": "2026-12-31", "kind": "holiday", "name": "年终盘点"}],
        },
    ),
}
