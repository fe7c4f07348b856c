"""Writes on the records of a seller entity: people, contacts, collection accounts, cards and
addresses. One generic path (permission, validation, transaction, identifiers, masked audit)
with one small cleaning function per kind of record; the named functions are what callers use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import check_version
from linkstar.entities import identifiers
from linkstar.entities.models import (
    AccountProvider,
    AddressKind,
    CardBrand,
    CollectionAccount,
    ContactKind,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    EntityRecord,
    IdType,
    PersonRole,
    SellerEntity,
)
from linkstar.entities.sensitive import masked_changes
from linkstar.entities.services.entity import refuse_erased
from linkstar.entities.services.validation import Checker, card_brand, luhn_ok


@dataclass(frozen=True)
class RecordKind:
    model: type[EntityRecord]
    noun: str  # audit actions are "<noun>.created" / ".updated" / ".deleted"
    fields: tuple[str, ...]  # what a caller may set
    required: tuple[str, ...]  # what a new record must have
    clean: Callable[[Checker, dict, EntityRecord | None], None]


# --- cleaning, one function per kind --------------------------------------------------------------


def _clean_person(check: Checker, values: dict, current: EntityPerson | None) -> None:
    check.choice(values, "role", PersonRole.choices)
    check.text(values, "name", required=True)
    check.text(values, "name_pinyin")
    check.choice(values, "id_type", IdType.choices)
    check.compact(values, "id_number", min_len=5)
    check.country(values, "nationality")
    check.date(values, "id_expiry")
    check.percent(values, "ownership_percent")
    id_type = values.get("id_type", current.id_type if current else IdType.ID_CARD)
    nationality = values.get("nationality", current.nationality if current else "CN")
    number = values.get("id_number")
    if (
        number
        and id_type == IdType.ID_CARD
        and nationality in ("", "CN")
        and not re.fullmatch(r"\d{17}[\dX]", number)
        and not any(e.field == "id_number" for e in check.errors)
    ):
        check.fail("id_number", _("A Chinese ID card number has 17 digits and a digit or X."))


def _clean_contact(check: Checker, values: dict, current: EntityContact | None) -> None:
    check.choice(values, "kind", ContactKind.choices)
    check.text(values, "value", required=True)
    check.text(values, "label")
    if check.errors or ("value" not in values and "kind" not in values):
        return
    kind = values.get("kind", current.kind if current else None)
    if "value" not in values:
        values["value"] = current.value
    if kind == ContactKind.EMAIL:
        values["value"] = values["value"].lower()
        check.email(values, "value")
    elif kind == ContactKind.PHONE:
        check.phone(values, "value")


def _clean_account(check: Checker, values: dict, current: CollectionAccount | None) -> None:
    check.choice(values, "provider", AccountProvider.choices)
    check.text(values, "account_holder", required=True)
    check.compact(values, "account_number", required=True, min_len=4)
    check.text(values, "label")
    if "currency" in values:
        values["currency"] = (values["currency"] or "").strip().upper()
        if values["currency"] and not re.fullmatch(r"[A-Z]{3}", values["currency"]):
            check.fail("currency", _("Use a three-letter currency code, e.g. USD."))


@sensitive_variables("values", "number")
def _clean_card(check: Checker, values: dict, current: EntityCard | None) -> None:
    """The full number is checked, reduced to its last four digits and a fingerprint, and
    dropped from ``values``: nothing downstream ever sees it."""
    number = values.pop("card_number", None)
    if number is not None or current is None:
        digits = re.sub(r"[\s\-]", "", str(number or ""))
        if not digits:
            check.fail("card_number", _("This field is required."))
        elif not digits.isdigit() or not 12 <= len(digits) <= 19:
            check.fail("card_number", _("A card number has 12 to 19 digits."))
        elif not luhn_ok(digits):
            check.fail("card_number", _("This is not a valid card number (check digit)."))
        else:
            values["last4"] = digits[-4:]
            values["fingerprint"] = identifiers.card_fingerprint(digits)
            if not values.get("brand"):
                values["brand"] = card_brand(digits)
    if "brand" in values and not values["brand"]:
        values["brand"] = current.brand if current else CardBrand.OTHER
    check.choice(values, "brand", CardBrand.choices)
    check.text(values, "holder", required=True)
    for field, low, high in (("expiry_month", 1, 12), ("expiry_year", 2000, 2100)):
        if field not in values:
            continue
        try:
            value = int(values[field])
        except (TypeError, ValueError):
            check.fail(field, _("Enter a number."))
            continue
        if field == "expiry_year" and 0 <= value < 100:
            value += 2000
        if not low <= value <= high:
            check.fail(
                field, _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
        values[field] = value


def _clean_address(check: Checker, values: dict, current: EntityAddress | None) -> None:
    check.choice(values, "kind", AddressKind.choices)
    check.text(values, "text", required=True)


KINDS = {
    "person": RecordKind(
        EntityPerson,
        "person",
        (
            "role",
            "name",
            "name_pinyin",
            "id_type",
            "id_number",
            "nationality",
            "id_expiry",
            "ownership_percent",
        ),
        ("role", "name"),
        _clean_person,
    ),
    "contact": RecordKind(
        EntityContact, "contact", ("kind", "value", "label"), ("kind", "value"), _clean_contact
    ),
    "account": RecordKind(
        CollectionAccount,
        "account",
        ("provider", "account_holder", "account_number", "currency", "label"),
        ("provider", "account_holder", "account_number"),
        _clean_account,
    ),
    "card": RecordKind(
        EntityCard,
        "card",
        ("brand", "holder", "card_number", "expiry_month", "expiry_year"),
        ("holder", "card_number", "expiry_month", "expiry_year"),
        _clean_card,
    ),
    "address": RecordKind(
        EntityAddress, "address", ("kind", "text"), ("kind", "text"), _clean_address
    ),
}
KIND_OF_MODEL = {kind.model: kind for kind in KINDS.values()}
# What the audit log may hold of a card: never its number, nor its fingerprint.
AUDITED_CARD_FIELDS = ("brand", "holder", "last4", "expiry_month", "expiry_year")


def _audited(kind: RecordKind, values: dict) -> dict:
    if kind.model is EntityCard:
        return {k: v for k, v in values.items() if k in AUDITED_CARD_FIELDS}
    return values


@sensitive_variables("fields", "values")
def _clean(kind: RecordKind, fields: dict, current: EntityRecord | None) -> dict:
    check = Checker(kind.model)
    values = {k: v for k, v in fields.items() if k in kind.fields}
    if current is None:
        for name in kind.required:
            values.setdefault(name, "")
    kind.clean(check, values, current)
    check.done()
    return values


# --- the generic path ----------------------------------------------------------------------------


@sensitive_variables("fields", "values")
@transaction.atomic
def create_record(
    *, actor: Actor, entity: SellerEntity, record_type: str, **fields
) -> EntityRecord:
    """Admins and managers add records to an entity they see; the record's identifiers are
    written with it and the audit event holds masked values only. ``record_type`` is a key of
    ``KINDS`` (person, contact, account, card, address)."""
    spec = KINDS[record_type]
    policy.require(actor, "entity.update", entity)
    refuse_erased(entity)
    values = _clean(spec, fields, None)
    obj = spec.model.objects.create(organization_id=entity.organization_id, entity=entity, **values)
    identifiers.sync(obj)
    changes = masked_changes(spec.model, {}, _audited(spec, values))
    changes["entity_id"] = {"before": None, "after": entity.pk}
    record(actor=actor, action=f"{spec.noun}.created", obj=obj, changes=changes)
    return obj


@sensitive_variables("fields", "values", "before")
@transaction.atomic
def update_record(
    *, actor: Actor, obj: EntityRecord, version: int | None = None, **fields
) -> EntityRecord:
    """Admins and managers edit a record; a stale ``version`` is refused (409), an edit that
    changes nothing writes nothing."""
    spec = KIND_OF_MODEL[type(obj)]
    policy.require(actor, "entity.update", obj)
    obj = spec.model.objects.select_for_update().get(pk=obj.pk)
    refuse_erased(obj.entity)
    check_version(obj, version)
    values = _clean(spec, fields, obj)
    before = {f: getattr(obj, f) for f in values}
    for key, value in values.items():
        setattr(obj, key, value)
    changes = masked_changes(spec.model, _audited(spec, before), _audited(spec, values))
    if "fingerprint" in values and values["fingerprint"] != before["fingerprint"]:
        changes["card_number"] = {"changed": True}  # a new card: said, never shown
    if not changes:
        return obj
    obj.version += 1
    obj.save()
    identifiers.sync(obj)
    record(actor=actor, action=f"{spec.noun}.updated", obj=obj, changes=changes)
    return obj


@transaction.atomic
def delete_record(*, actor: Actor, obj: EntityRecord) -> None:
    """Admins and managers remove a record, and its identifiers with it."""
    spec = KIND_OF_MODEL[type(obj)]
    policy.require(actor, "entity.update", obj)
    obj = spec.model.objects.select_for_update().get(pk=obj.pk)
    fields = [f for f in spec.fields if f != "card_number"]
    if spec.model is EntityCard:
        fields = list(AUDITED_CARD_FIELDS)
    before = {f: getattr(obj, f) for f in fields}
    changes = masked_changes(spec.model, before, {})
    changes["entity_id"] = {"before": obj.entity_id, "after": None}
    identifiers.drop(obj)
    record(actor=actor, action=f"{spec.noun}.deleted", obj=obj, changes=changes)
    obj.delete()


# --- the named services ---------------------------------------------------------------------------


def create_person(*, actor: Actor, entity: SellerEntity, **fields) -> EntityPerson:
    """A legal representative or beneficial owner; a Chinese ID card number must look like one."""
    return create_record(actor=actor, entity=entity, record_type="person", **fields)


def update_person(*, actor: Actor, person: EntityPerson, version=None, **fields) -> EntityPerson:
    return update_record(actor=actor, obj=person, version=version, **fields)


def delete_person(*, actor: Actor, person: EntityPerson) -> None:
    delete_record(actor=actor, obj=person)


def create_contact(*, actor: Actor, entity: SellerEntity, **fields) -> EntityContact:
    """An email (validated, lower-cased) or a phone number of the entity."""
    return create_record(actor=actor, entity=entity, record_type="contact", **fields)


def update_contact(*, actor: Actor, contact: EntityContact, version=None, **fields):
    return update_record(actor=actor, obj=contact, version=version, **fields)


def delete_contact(*, actor: Actor, contact: EntityContact) -> None:
    delete_record(actor=actor, obj=contact)


def create_account(*, actor: Actor, entity: SellerEntity, **fields) -> CollectionAccount:
    """A collection account; its number is stored encrypted and answered masked."""
    return create_record(actor=actor, entity=entity, record_type="account", **fields)


def update_account(*, actor: Actor, account: CollectionAccount, version=None, **fields):
    return update_record(actor=actor, obj=account, version=version, **fields)


def delete_account(*, actor: Actor, account: CollectionAccount) -> None:
    delete_record(actor=actor, obj=account)


@sensitive_variables("fields", "card_number")
def create_card(*, actor: Actor, entity: SellerEntity, card_number: str, **fields) -> EntityCard:
    """A card from its full number (Luhn-checked), of which only the last four digits and a
    keyed fingerprint are kept; the brand is read from the number when not given."""
    return create_record(
        actor=actor, entity=entity, record_type="card", card_number=card_number, **fields
    )


@sensitive_variables("fields")
def update_card(*, actor: Actor, card: EntityCard, version=None, **fields) -> EntityCard:
    """Holder, brand or expiry; a new ``card_number`` replaces last four digits and fingerprint."""
    return update_record(actor=actor, obj=card, version=version, **fields)


def delete_card(*, actor: Actor, card: EntityCard) -> None:
    delete_record(actor=actor, obj=card)


def create_address(*, actor: Actor, entity: SellerEntity, **fields) -> EntityAddress:
    return create_record(actor=actor, entity=entity, record_type="address", **fields)


def update_address(*, actor: Actor, address: EntityAddress, version=None, **fields):
    return update_record(actor=actor, obj=address, version=version, **fields)


def delete_address(*, actor: Actor, address: EntityAddress) -> None:
    delete_record(actor=actor, obj=address)
