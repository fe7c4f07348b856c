"""Permission-matrix entries of the API token endpoints (personal and organization tokens)."""

from __future__ import annotations

from tests.support.matrix import NO_ADMIN, Case
from tests.support.world import World


def _carols_token(w: World) -> int:
    from linkstar.accounts.services import create_api_token

    if not hasattr(w, "_carols_token"):
        w._carols_token = create_api_token(actor=w.actor("carol"), name="carol's script")[0]
    return w._carols_token.pk


def _org_token(w: World) -> int:
    from linkstar.accounts.services import create_org_token

    if not hasattr(w, "_org_token"):
        w._org_token = create_org_token(actor=w.actor("alice"), name="ERP", role="operator")[0]
    return w._org_token.pk


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/me/tokens"): Case(ok="carol", status=200),
    ("POST", "/me/tokens"): Case(
        ok="carol", status=201, body=lambda w: {"name": "Sheets export", "scope": "read"}
    ),
    ("DELETE", "/me/tokens/{token_id}"): Case(
        ok="carol", status=204, ids={"token_id": _carols_token}
    ),
    ("GET", "/orgs/{org}/tokens"): Case(ok="alice", status=200, denied=NO_ADMIN),
    ("POST", "/orgs/{org}/tokens"): Case(
        ok="alice",
        status=201,
        denied=NO_ADMIN,
        body=lambda w: {"name": "ERP", "role": "operator", "scope": "read_write"},
    ),
    ("DELETE", "/orgs/{org}/tokens/{token_id}"): Case(
        ok="alice", status=204, denied=NO_ADMIN, ids={"token_id": _org_token}
    ),
}
