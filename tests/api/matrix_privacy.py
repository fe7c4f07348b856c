"""Permission-matrix entries of the erasures on request (PIPL / GDPR): a seller entity's and a
person's personal data, administrators only."""

from __future__ import annotations

from linkstar.entities.services import create_entity
from tests.support.matrix import NO_ADMIN, NO_ADMIN_STAFF, Case
from tests.support.world import World

SPARE = "Spare Seller Ltd"


def _spare_entity(w: World) -> int:
    if not hasattr(w, "_spare_entity"):
        w._spare_entity = create_entity(actor=w.actor("alice"), name=SPARE)
    return w._spare_entity.pk


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/orgs/{org}/entities/{entity_id}/erase"): Case(
        ok="alice",
        status=200,
        denied=NO_ADMIN_STAFF,
        client_hidden=True,
        ids={"entity_id": _spare_entity},
        body=lambda w: {"confirm_name": SPARE},
    ),
    ("POST", "/orgs/{org}/members/{user_id}/erase"): Case(
        ok="alice", status=204, denied=NO_ADMIN, ids={"user_id": lambda w: w.users["erin"].pk}
    ),
}
