"""Reads of seller entities, their records and store credentials, scoped by ``core.policy``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, NotFound
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    Identifier,
    SellerEntity,
    StoreCredential,
)
from linkstar.projects import visibility

# The records of an entity, by the name they have in URLs and in ``services.records.KINDS``.
RECORD_MODELS = {
    "person": EntityPerson,
    "contact": EntityContact,
    "account": CollectionAccount,
    "card": EntityCard,
    "address": EntityAddress,
}


def identifiers_for(entity_ids: Iterable[int]) -> list[Identifier]:
    """Every association-risk identifier of the given entities (no actor: the caller scoped the
    entities already). One query."""
    ids = list(entity_ids)
    if not ids:
        return []
    return list(Identifier.objects.filter(entity_id__in=ids).order_by("entity_id", "kind", "pk"))


def entity_for(actor: Actor, entity_id) -> SellerEntity:
    """One entity the actor sees, or ``NotFound`` (another organization, or not a client's)."""
    return policy.get_visible(visibility.visible_entities(actor), pk=entity_id)


def entity_with_records(actor: Actor, entity_id) -> SellerEntity:
    """The entity with its people, contacts, accounts, cards and addresses, in a fixed number
    of queries (one per kind of record)."""
    qs = visibility.visible_entities(actor).prefetch_related(
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


def project_for(actor: Actor, project_id):
    return policy.get_visible(
        visibility.visible_projects(actor).select_related("manager", "entity", "site"),
        pk=project_id,
    )


def credentials_of(actor: Actor, project) -> QuerySet:
    """The project's credentials, newest changes first; clients get 403 (``credential.view``)."""
    policy.require(actor, "credential.view", project)
    return (
        StoreCredential.objects.filter(project=project)
        .select_related("created_by", "rotated_by", "revoked_by")
        .order_by("revoked_at", "kind", "label", "pk")
    )


def credential_for(actor: Actor, project_id, credential_id) -> StoreCredential:
    project = project_for(actor, project_id)
    policy.require(actor, "credential.view", project)
    try:
        credential = StoreCredential.objects.get(pk=int(credential_id), project_id=project.pk)
    except (StoreCredential.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    credential.project = project
    return credential


# What ``POST /reveal`` and the reveal button name: object type → model.
REVEALABLE = {
    "entity": SellerEntity,
    "person": EntityPerson,
    "account": CollectionAccount,
    "credential": StoreCredential,
}


def revealable_for(actor: Actor, object_type: str, object_id):
    """The object holding a secret, if the actor may see it at all (else ``NotFound``)."""
    model = REVEALABLE.get(object_type)
    if model is None:
        raise InvalidInput(
            FieldError(
                "object_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(REVEALABLE)}
            )
        )
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if model is SellerEntity:
        return entity_for(actor, pk)
    if model is StoreCredential:
        credential = StoreCredential.objects.filter(
            pk=pk, organization_id=actor.organization.pk
        ).first()
        if credential is None:
            raise NotFound()
        return credential_for(actor, credential.project_id, pk)
    obj = model.objects.select_related("entity").filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    entity_for(actor, obj.entity_id)
    return obj
