"""Reads of seller entities, their records and store credentials, scoped by ``core.policy``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from linkstar.accounts.models import Role
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    Identifier,
    SellerEntity,
)

# The records of an entity, by the name they have in URLs and in ``services.records.KINDS``.
RECORD_MODELS = {
    "person": EntityPerson,
    "contact": EntityContact,
    "account": CollectionAccount,
    "card": EntityCard,
    "address": EntityAddress,
}


def visible_entities(actor: Actor) -> QuerySet:
    """The organization's seller entities; a client's own only."""
    qs = SellerEntity.objects.filter(organization_id=actor.organization.pk)
    if actor.role == Role.CLIENT and not actor.is_admin:
        return qs.filter(pk=actor.entity_id) if actor.entity_id else qs.none()
    return qs


def identifiers_for(entity_ids: Iterable[int]) -> list[Identifier]:
    """Every association-risk identifier of the given entities (no actor: the caller scoped the
    entities already). One query."""
    ids = list(entity_ids)
    if not ids:
        return []
    return list(Identifier.objects.filter(entity_id__in=ids).order_by("entity_id", "kind", "pk"))


def entity_for(actor: Actor, entity_id) -> SellerEntity:
    """One entity the actor sees, or ``NotFound`` (another organization, or not a client's)."""
    return policy.get_visible(visible_entities(actor), pk=entity_id)


def entity_with_records(actor: Actor, entity_id) -> SellerEntity:
    """The entity with its people, contacts, accounts, cards and addresses, in a fixed number
    of queries (one per kind of record)."""
    qs = visible_entities(actor).prefetch_related(
        Prefetch("people", queryset=EntityPerson.objects.order_by("role", "name", "pk")),
        Prefetch("contacts", queryset=EntityContact.objects.order_by("kind", "value", "pk")),
        Prefetch("accounts", queryset=CollectionAccount.objects.order_by("provider", "pk")),
        Prefetch("cards", queryset=EntityCard.objects.order_by("brand", "last4", "pk")),
        Prefetch("addresses", queryset=EntityAddress.objects.order_by("kind", "pk")),
    )
    return policy.get_visible(qs, pk=entity_id)


def records_of(entity: SellerEntity, kind: str) -> QuerySet:
    model = RECORD_MODELS[kind]
    return model.objects.filter(entity=entity).order_by(*model._meta.ordering)


def record_for(actor: Actor, entity_id, kind: str, record_id):
    """One record of an entity the actor sees, or ``NotFound``."""
    entity = entity_for(actor, entity_id)
    try:
        return (
            RECORD_MODELS[kind]
            .objects.select_related("entity")
            .get(pk=int(record_id), entity_id=entity.pk)
        )
    except (RECORD_MODELS[kind].DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
