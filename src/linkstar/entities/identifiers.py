"""The association-risk identifiers of a seller entity, kept in step with its records.

Every write of an entity or of one of its records calls :func:`sync` (or :func:`drop` before a
delete) in the same transaction, so ``Identifier`` always says what the records say. A row holds
the keyed blind index of the normalised value (``core.crypto.blind_index``) and a masked label,
never the value. Identity-like values (registration, ID, card and account numbers) share the
``text`` normalisation, so one person's ID number gives the same digest whether it is recorded as a
legal representative's or a beneficial owner's, and a debit card number equals the same bank
account number; emails, phones and addresses have their own normalisation.
"""

from __future__ import annotations

from linkstar.core.announcements import ENTITY_IDENTIFIERS_CHANGED, announce
from linkstar.core.crypto import blind_index
from linkstar.core.masking import shown_budget
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    Identifier,
    IdentifierKind,
    PersonRole,
    SellerEntity,
)
from linkstar.entities.sensitive import mask_number

NORMALISATION = {
    IdentifierKind.EMAIL: "email",
    IdentifierKind.PHONE: "phone",
    IdentifierKind.ADDRESS: "address",
}


def digest_for(kind: str, value: str | None) -> str:
    """The blind index of ``value`` as an identifier of ``kind`` ("" for an empty value)."""
    return blind_index(value, kind=NORMALISATION.get(kind, "text"))


def mask_email(value: str) -> str:
    """The mailbox's first characters (at most a third of them, two at most) and its domain."""
    local, _at, domain = value.partition("@")
    if not domain:
        return mask_number(value)
    keep = min(2, shown_budget(len(local)))
    return local[:keep] + "*" * max(len(local) - keep, 3) + "@" + domain


def mask_phone(value: str) -> str:
    """The number's last digits, at most four and at most a third of them."""
    digits = "".join(ch for ch in value if ch.isdigit())
    keep = min(4, shown_budget(len(digits)))
    return "*" * max(len(digits) - keep, 3) + (digits[-keep:] if keep else "")


def mask_address(value: str) -> str:
    """The address's beginning (the city, district), at most ten characters and a third of it."""
    text = " ".join(value.split())
    return text[: min(10, shown_budget(len(text)))] + "…"


def masked_label(kind: str, value: str) -> str:
    """How an identifier of ``kind`` is shown: masked, in the way of its kind."""
    if kind == IdentifierKind.EMAIL:
        return mask_email(value)
    if kind == IdentifierKind.PHONE:
        return mask_phone(value)
    if kind == IdentifierKind.ADDRESS:
        return mask_address(value)
    return mask_number(value)


# What each source contributes: (source, kind, digest, masked label).
Item = tuple[str, str, str, str]


def _plain(source: str, kind: str, value: str | None) -> list[Item]:
    value = (value or "").strip()
    digest = digest_for(kind, value)
    return [(source, kind, digest, masked_label(kind, value)[:200])] if digest else []


def entity_sources(entity: SellerEntity) -> list[str]:
    return [
        f"entity:{entity.pk}:registration_number",
        f"entity:{entity.pk}:legal_rep_id_number",
        f"entity:{entity.pk}:registered_address",
    ]


def items_of(obj) -> tuple[list[str], list[Item]]:
    """The sources ``obj`` owns and the identifiers it gives now."""
    if isinstance(obj, SellerEntity):
        reg, rep, address = entity_sources(obj)
        return [reg, rep, address], [
            *_plain(reg, IdentifierKind.REGISTRATION_NUMBER, obj.registration_number),
            *_plain(rep, IdentifierKind.LEGAL_REP_ID, obj.legal_rep_id_number),
            *_plain(address, IdentifierKind.ADDRESS, obj.registered_address),
        ]
    if isinstance(obj, EntityPerson):
        source = f"person:{obj.pk}"
        kind = (
            IdentifierKind.LEGAL_REP_ID
            if obj.role == PersonRole.LEGAL_REP
            else IdentifierKind.OWNER_ID
        )
        return [source], _plain(source, kind, obj.id_number)
    if isinstance(obj, EntityContact):
        source = f"contact:{obj.pk}"
        return [source], _plain(source, obj.kind, obj.value)
    if isinstance(obj, CollectionAccount):
        source = f"account:{obj.pk}"
        label = f"{obj.get_provider_display()} {mask_number(obj.account_number)}"
        items = _plain(source, IdentifierKind.COLLECTION_ACCOUNT, obj.account_number)
        return [source], [(s, k, d, label[:200]) for s, k, d, _m in items]
    if isinstance(obj, EntityCard):
        source = f"card:{obj.pk}"
        items = (
            [(source, IdentifierKind.CARD, obj.fingerprint, str(obj))] if obj.fingerprint else []
        )
        return [source], items
    if isinstance(obj, EntityAddress):
        source = f"address:{obj.pk}"
        return [source], _plain(source, IdentifierKind.ADDRESS, obj.text)
    raise TypeError(f"{type(obj).__name__} has no identifiers")


def _entity_id(obj) -> int:
    return obj.pk if isinstance(obj, SellerEntity) else obj.entity_id


def sync(obj, *, tell: bool = True) -> list[Identifier]:
    """Replace the identifier rows of ``obj``'s sources by what it holds now, and announce it
    (``ENTITY_IDENTIFIERS_CHANGED``: compliance finds the entity's association risks again)."""
    sources, items = items_of(obj)
    entity_id = _entity_id(obj)
    Identifier.objects.filter(entity_id=entity_id, source__in=sources).delete()
    rows = Identifier.objects.bulk_create(
        Identifier(
            organization_id=obj.organization_id,
            entity_id=entity_id,
            kind=kind,
            digest=digest,
            masked=masked,
            source=source,
        )
        for source, kind, digest, masked in items
    )
    if tell:
        announce(ENTITY_IDENTIFIERS_CHANGED, entity_id=entity_id)
    return rows


def drop(obj) -> None:
    """Remove the identifier rows of ``obj`` (called before it is deleted)."""
    sources, _items = items_of(obj)
    Identifier.objects.filter(entity_id=_entity_id(obj), source__in=sources).delete()
    announce(ENTITY_IDENTIFIERS_CHANGED, entity_id=_entity_id(obj))


RECORD_MODELS = (EntityPerson, EntityContact, CollectionAccount, EntityCard, EntityAddress)


def rebuild(entity: SellerEntity) -> int:
    """Rewrite every identifier of one entity from its records (after a blind-index key change,
    or to repair); returns how many rows it holds now."""
    Identifier.objects.filter(entity=entity).delete()
    count = len(sync(entity, tell=False))
    for model in RECORD_MODELS:
        for record in model.objects.filter(entity=entity):
            count += len(sync(record, tell=False))
    announce(ENTITY_IDENTIFIERS_CHANGED, entity_id=entity.pk)
    return count


def card_fingerprint(card_number: str) -> str:
    """The fingerprint a full card number gets (``EntityCard.fingerprint``)."""
    return digest_for(IdentifierKind.CARD, "".join(ch for ch in card_number if ch.isdigit()))
