"""Document requests in tests: a client of the Xinghe entity, and a request asked of it."""

from __future__ import annotations

import datetime as dt

from linkstar.accounts.models import Membership
from linkstar.accounts.services import add_member
from linkstar.core.actors import Actor
from linkstar.docrequests.services import open_request
from tests.support.seed import PASSWORD, actor_of


def client_of_entity(org, entity, login: str = "hana"):
    """A client member (role ``client``) of ``entity``."""
    owner = actor_of(org, org.memberships.get(is_owner=True).user)
    membership = add_member(
        actor=owner,
        email=f"{login}@client.example",
        role="client",
        name=login.title(),
        password=PASSWORD,
    )
    Membership.objects.filter(pk=membership.pk).update(entity=entity)
    return membership.user


def ask(actor: Actor, project, *codes: str, due: dt.date | None = None, message: str = ""):
    """``actor`` asks the project's client for ``codes`` (default: the business licence and the
    bank statement), due in a week from the project's start unless ``due``."""
    codes = codes or ("business_license", "bank_statement")
    return open_request(
        actor=actor,
        project=project,
        items=[{"document_type": c, "note": f"note {c}"} for c in codes],
        due_date=due or project.start_date + dt.timedelta(days=7),
        message=message,
    )
