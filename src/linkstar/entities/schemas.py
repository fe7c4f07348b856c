from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from linkstar.core.api import bounded, ranged
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    SellerEntity,
    StoreCredential,
)

SENSITIVE_NOTE = (
    "Sensitive: stored encrypted, answered masked (reveal with POST /orgs/{org}/reveal)."
)


class EntityIn(Schema):
    name: str = bounded(SellerEntity, "name")
    name_en: str | None = bounded(SellerEntity, "name_en", None)
    registration_number: str | None = Field(None, description="Unified social credit code.")
    country: str | None = bounded(SellerEntity, "country", None)
    registered_address: str | None = bounded(SellerEntity, "registered_address", None)
    licence_expiry: dt.date | None = None
    legal_rep_name: str | None = bounded(SellerEntity, "legal_rep_name", None)
    legal_rep_id_number: str | None = None
    notes: str | None = None


class EntityPatch(Schema):
    name: str | None = bounded(SellerEntity, "name", None)
    name_en: str | None = bounded(SellerEntity, "name_en", None)
    registration_number: str | None = None
    country: str | None = bounded(SellerEntity, "country", None)
    registered_address: str | None = bounded(SellerEntity, "registered_address", None)
    licence_expiry: dt.date | None = Field(None, description="null clears it.")
    legal_rep_name: str | None = bounded(SellerEntity, "legal_rep_name", None)
    legal_rep_id_number: str | None = None
    notes: str | None = None
    version: int | None = None


class EntityOut(Schema):
    id: int
    name: str
    name_en: str
    registration_number: str = Field(description=SENSITIVE_NOTE)
    country: str
    registered_address: str
    licence_expiry: dt.date | None
    legal_rep_name: str
    legal_rep_id_number: str = Field(description=SENSITIVE_NOTE)
    notes: str
    erased_at: dt.datetime | None = Field(
        None,
        description="When its personal data was erased on request (it then takes no new "
        "project and no new personal data); null while it holds them.",
    )
    version: int


class EntityEraseIn(Schema):
    confirm_name: str = Field(
        description="The entity's name exactly as it is now, to confirm the erasure.",
        max_length=200,
    )


class EntityList(Schema):
    items: list[EntityOut]
    count: int


# --- people ---------------------------------------------------------------------------------------


class PersonIn(Schema):
    role: str = bounded(EntityPerson, "role", description="legal_rep or beneficial_owner")
    name: str = bounded(EntityPerson, "name")
    name_pinyin: str | None = bounded(EntityPerson, "name_pinyin", None)
    id_type: str | None = bounded(
        EntityPerson, "id_type", None, description="id_card (default) or passport"
    )
    id_number: str | None = None
    nationality: str | None = bounded(EntityPerson, "nationality", None)
    id_expiry: dt.date | None = None
    ownership_percent: float | None = ranged(None, minimum=0, maximum=100, description="0–100")


class PersonPatch(Schema):
    role: str | None = bounded(EntityPerson, "role", None)
    name: str | None = bounded(EntityPerson, "name", None)
    name_pinyin: str | None = bounded(EntityPerson, "name_pinyin", None)
    id_type: str | None = bounded(EntityPerson, "id_type", None)
    id_number: str | None = None
    nationality: str | None = bounded(EntityPerson, "nationality", None)
    id_expiry: dt.date | None = None
    ownership_percent: float | None = ranged(None, minimum=0, maximum=100)
    version: int | None = None


class PersonOut(Schema):
    id: int
    entity_id: int
    role: str
    name: str
    name_pinyin: str
    id_type: str
    id_number: str = Field(description=SENSITIVE_NOTE)
    nationality: str
    id_expiry: dt.date | None
    ownership_percent: float | None
    version: int


class PersonList(Schema):
    items: list[PersonOut]
    count: int


# --- contacts -------------------------------------------------------------------------------------


class ContactIn(Schema):
    kind: str = bounded(EntityContact, "kind", description="email or phone")
    value: str = bounded(EntityContact, "value")
    label: str | None = bounded(EntityContact, "label", None)


class ContactPatch(Schema):
    kind: str | None = bounded(EntityContact, "kind", None)
    value: str | None = bounded(EntityContact, "value", None)
    label: str | None = bounded(EntityContact, "label", None)
    version: int | None = None


class ContactOut(Schema):
    id: int
    entity_id: int
    kind: str
    value: str
    label: str
    version: int


class ContactList(Schema):
    items: list[ContactOut]
    count: int


# --- collection accounts --------------------------------------------------------------------------


class AccountIn(Schema):
    provider: str = bounded(
        CollectionAccount,
        "provider",
        description="payoneer, pingpong, lianlian, worldfirst, bank or other",
    )
    account_holder: str = bounded(CollectionAccount, "account_holder")
    account_number: str
    currency: str | None = bounded(CollectionAccount, "currency", None)
    label: str | None = bounded(CollectionAccount, "label", None)


class AccountPatch(Schema):
    provider: str | None = bounded(CollectionAccount, "provider", None)
    account_holder: str | None = bounded(CollectionAccount, "account_holder", None)
    account_number: str | None = None
    currency: str | None = bounded(CollectionAccount, "currency", None)
    label: str | None = bounded(CollectionAccount, "label", None)
    version: int | None = None


class AccountOut(Schema):
    id: int
    entity_id: int
    provider: str
    account_holder: str
    account_number: str = Field(description=SENSITIVE_NOTE)
    currency: str
    label: str
    version: int


class AccountList(Schema):
    items: list[AccountOut]
    count: int


# --- cards ----------------------------------------------------------------------------------------


class CardIn(Schema):
    card_number: str = Field(
        description="The full number: checked, reduced to its last four digits and a keyed "
        "fingerprint, and never stored."
    )
    holder: str = bounded(EntityCard, "holder")
    expiry_month: int = ranged(minimum=1, maximum=12)
    expiry_year: int
    brand: str | None = bounded(
        EntityCard, "brand", None, description="read from the number when omitted"
    )


class CardPatch(Schema):
    card_number: str | None = None
    holder: str | None = bounded(EntityCard, "holder", None)
    expiry_month: int | None = ranged(None, minimum=1, maximum=12)
    expiry_year: int | None = None
    brand: str | None = bounded(EntityCard, "brand", None)
    version: int | None = None


class CardOut(Schema):
    id: int
    entity_id: int
    brand: str
    holder: str
    last4: str
    masked_number: str
    expiry_month: int
    expiry_year: int
    expired: bool
    version: int


class CardList(Schema):
    items: list[CardOut]
    count: int


# --- addresses ------------------------------------------------------------------------------------


class AddressIn(Schema):
    kind: str = bounded(
        EntityAddress,
        "kind",
        description="registered, business, warehouse, return, billing or other",
    )
    text: str = bounded(EntityAddress, "text")


class AddressPatch(Schema):
    kind: str | None = bounded(EntityAddress, "kind", None)
    text: str | None = bounded(EntityAddress, "text", None)
    version: int | None = None


class AddressOut(Schema):
    id: int
    entity_id: int
    kind: str
    text: str
    version: int


class AddressList(Schema):
    items: list[AddressOut]
    count: int


# --- store credentials ----------------------------------------------------------------------------


class CredentialIn(Schema):
    kind: str = bounded(StoreCredential, "kind", description="platform_login, api_key or erp_token")
    label: str = bounded(StoreCredential, "label")
    login: str | None = bounded(
        StoreCredential, "login", None, description="the login email or user name"
    )
    secret: str = Field(description="password, key or token; stored encrypted, never answered")


class CredentialPatch(Schema):
    kind: str | None = bounded(StoreCredential, "kind", None)
    label: str | None = bounded(StoreCredential, "label", None)
    login: str | None = bounded(StoreCredential, "login", None)
    secret: str | None = Field(None, description="a new secret rotates the credential")
    revoked: bool | None = Field(None, description="true revokes it and erases its secret")
    version: int | None = None


class CredentialOut(Schema):
    id: int
    project_id: int
    kind: str
    label: str
    login: str
    secret: str = Field(description="'********' while a secret is kept, '' once revoked")
    created_at: dt.datetime
    created_by: int | None
    rotated_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked: bool
    version: int


class CredentialList(Schema):
    items: list[CredentialOut]
    count: int


# --- reveal ---------------------------------------------------------------------------------------


class RevealIn(Schema):
    object_type: str = Field(description="entity, person, account or credential")
    object_id: int
    field: str = Field(
        description="entity: registration_number or legal_rep_id_number; person: id_number; "
        "account: account_number; credential: secret"
    )
    reason: str


class RevealOut(Schema):
    value: str
