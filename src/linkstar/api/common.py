"""Helpers every router uses: the caller's actor in an organization, pagination, errors."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from linkstar.accounts.models import Membership
from linkstar.core.actors import Actor, client_ip
from linkstar.core.exceptions import NotFound


class ErrorItem(Schema):
    field: str
    message: str
    row: int | None = None


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[ErrorItem] | None = None


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def actor_for(request, org: str) -> Actor:
    """The caller as a member of ``org``; not a member → 404, as if it did not exist."""
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=request.auth, organization__slug=org)
        .first()
    )
    if membership is None:
        raise NotFound()
    return Actor.from_membership(membership, ip=client_ip(request), via="api")


def page(items, *, limit: int, offset: int, serialize) -> dict[str, Any]:
    """``{"items": [...], "count": N}`` for a queryset or list, ``limit``/``offset`` applied."""
    if isinstance(items, list):
        count = len(items)
        chunk = items[offset : offset + limit]
    else:
        count = items.count()
        chunk = list(items[offset : offset + limit])
    return {"items": serialize(chunk), "count": count}
