from __future__ import annotations

from django.db.models import QuerySet

from linkstar.accounts.models import Membership
from linkstar.core.actors import Actor


def member_list(*, actor: Actor) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=actor.organization)
        .select_related("user")
        .order_by("user__email")
    )


def memberships_of(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )
