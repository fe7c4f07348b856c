"""Seller entities, their records, store credentials and the audited reveal, over the REST API.

No ``from __future__ import annotations`` here: the record endpoints are made by one factory,
and Django Ninja reads their payload types from the closure at definition time.
"""

from functools import partial

from django.db import transaction
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status

from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS, Paging, page
from linkstar.core.clock import org_today
from linkstar.documents.privacy import erase_entity
from linkstar.entities import selectors, services
from linkstar.entities.schemas import (
    AccountIn,
    AccountList,
    AccountOut,
    AccountPatch,
    AddressIn,
    AddressList,
    AddressOut,
    AddressPatch,
    CardIn,
    CardList,
    CardOut,
    CardPatch,
    ContactIn,
    ContactList,
    ContactOut,
    ContactPatch,
    CredentialIn,
    CredentialList,
    CredentialOut,
    CredentialPatch,
    EntityEraseIn,
    EntityIn,
    EntityList,
    EntityOut,
    EntityPatch,
    PersonIn,
    PersonList,
    PersonOut,
    PersonPatch,
    RevealIn,
    RevealOut,
)
from linkstar.entities.selectors import visible_entities
from linkstar.entities.serializers import (
    account_out,
    address_out,
    card_out,
    contact_out,
    credential_out,
    entity_out,
    person_out,
)
from linkstar.projects.selectors import credentials as credential_selectors

router = Router(tags=["seller entities"])
vault = Router(tags=["seller entity records, store credentials and reveal"])

# PATCH fields where null means "clear", not "leave as it is".
NULLABLE = {"licence_expiry", "id_expiry", "ownership_percent"}


def _patch_fields(payload: Schema) -> tuple[dict, int | None]:
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    return {k: v for k, v in fields.items() if v is not None or k in NULLABLE}, version


# --- entities -------------------------------------------------------------------------------------


@router.get("/orgs/{org}/entities", response={200: EntityList, **ERRORS})
def entity_list(request, org: str, paging: Query[Paging]):
    actor = actor_for(request, org)
    return page(
        visible_entities(actor).order_by("name", "pk"),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda es: [entity_out(e) for e in es],
    )


@router.post("/orgs/{org}/entities", response={201: EntityOut, **ERRORS})
def entity_create(request, org: str, payload: EntityIn):
    actor = actor_for(request, org)
    fields = payload.model_dump(exclude_none=True)
    entity = services.create_entity(actor=actor, **fields)
    return Status(201, entity_out(entity))


@router.get("/orgs/{org}/entities/{entity_id}", response={200: EntityOut, **ERRORS})
def entity_get(request, org: str, entity_id: int):
    actor = actor_for(request, org)
    return entity_out(selectors.entity_for(actor, entity_id))


@router.patch("/orgs/{org}/entities/{entity_id}", response={200: EntityOut, **ERRORS})
def entity_update(request, org: str, entity_id: int, payload: EntityPatch):
    actor = actor_for(request, org)
    entity = selectors.entity_for(actor, entity_id)
    fields, version = _patch_fields(payload)
    return entity_out(services.update_entity(actor=actor, entity=entity, version=version, **fields))


@router.post("/orgs/{org}/entities/{entity_id}/erase", response={200: EntityOut, **ERRORS})
def entity_erase(request, org: str, entity_id: int, payload: EntityEraseIn):
    """Erase the entity's personal data on request (PIPL / GDPR): administrators only. Its
    encrypted values, records, identifiers, store credentials' secrets and every version of its
    documents (files included) are destroyed; the entity stays under a neutral name."""
    actor = actor_for(request, org)
    entity = selectors.entity_for(actor, entity_id)
    return entity_out(erase_entity(actor=actor, entity=entity, confirm_name=payload.confirm_name))


# --- the records of an entity: one factory, five kinds ----------------------------------------------


def _record_endpoints(
    kind: str, plural: str, schema_in, schema_patch, schema_out, schema_list, out
):
    base = "/orgs/{org}/entities/{entity_id}/" + plural
    item = base + "/{item_id}"

    def serialize(actor, objs):
        if kind == "card":
            today = org_today(actor.organization)
            return [out(o, today=today) for o in objs]
        return [out(o) for o in objs]

    def list_records(request, org: str, entity_id: int, paging: Query[Paging]):
        actor = actor_for(request, org)
        entity = selectors.entity_for(actor, entity_id)
        return page(
            selectors.records_of(entity, kind),
            limit=paging.limit,
            offset=paging.offset,
            serialize=partial(serialize, actor),
        )

    def create_record(request, org: str, entity_id: int, payload: schema_in):
        actor = actor_for(request, org)
        entity = selectors.entity_for(actor, entity_id)
        fields = payload.model_dump(exclude_none=True)
        obj = services.create_record(actor=actor, entity=entity, record_type=kind, **fields)
        return Status(201, serialize(actor, [obj])[0])

    def update_record(request, org: str, entity_id: int, item_id: int, payload: schema_patch):
        actor = actor_for(request, org)
        obj = selectors.record_for(actor, entity_id, kind, item_id)
        fields, version = _patch_fields(payload)
        obj = services.update_record(actor=actor, obj=obj, version=version, **fields)
        return serialize(actor, [obj])[0]

    def delete_record(request, org: str, entity_id: int, item_id: int):
        actor = actor_for(request, org)
        obj = selectors.record_for(actor, entity_id, kind, item_id)
        services.delete_record(actor=actor, obj=obj)
        return Status(204, None)

    for view, verb in (
        (list_records, "list"),
        (create_record, "create"),
        (update_record, "update"),
        (delete_record, "delete"),
    ):
        view.__name__ = f"{kind}_{verb}"
    vault.get(base, response={200: schema_list, **ERRORS}, operation_id=f"{kind}_list")(
        list_records
    )
    vault.post(base, response={201: schema_out, **ERRORS}, operation_id=f"{kind}_create")(
        create_record
    )
    vault.patch(item, response={200: schema_out, **ERRORS}, operation_id=f"{kind}_update")(
        update_record
    )
    vault.delete(item, response={204: None, **ERRORS}, operation_id=f"{kind}_delete")(delete_record)


_record_endpoints("person", "people", PersonIn, PersonPatch, PersonOut, PersonList, person_out)
_record_endpoints(
    "contact", "contacts", ContactIn, ContactPatch, ContactOut, ContactList, contact_out
)
_record_endpoints(
    "account", "accounts", AccountIn, AccountPatch, AccountOut, AccountList, account_out
)
_record_endpoints("card", "cards", CardIn, CardPatch, CardOut, CardList, card_out)
_record_endpoints(
    "address", "addresses", AddressIn, AddressPatch, AddressOut, AddressList, address_out
)


# --- store credentials ----------------------------------------------------------------------------


@vault.get(
    "/orgs/{org}/projects/{project_id}/credentials", response={200: CredentialList, **ERRORS}
)
def credential_list(request, org: str, project_id: int, paging: Query[Paging]):
    actor = actor_for(request, org)
    project = credential_selectors.project_for(actor, project_id)
    return page(
        credential_selectors.credentials_of(actor, project),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda cs: [credential_out(c) for c in cs],
    )


@vault.post(
    "/orgs/{org}/projects/{project_id}/credentials", response={201: CredentialOut, **ERRORS}
)
def credential_create(request, org: str, project_id: int, payload: CredentialIn):
    actor = actor_for(request, org)
    project = credential_selectors.project_for(actor, project_id)
    credential = services.create_credential(
        actor=actor, project=project, **payload.model_dump(exclude_none=True)
    )
    return Status(201, credential_out(credential))


@vault.patch(
    "/orgs/{org}/projects/{project_id}/credentials/{credential_id}",
    response={200: CredentialOut, **ERRORS},
)
def credential_update(
    request, org: str, project_id: int, credential_id: int, payload: CredentialPatch
):
    actor = actor_for(request, org)
    credential = credential_selectors.credential_for(actor, project_id, credential_id)
    fields, version = _patch_fields(payload)
    revoked = fields.pop("revoked", None)
    with transaction.atomic():
        if fields:
            credential = services.update_credential(
                actor=actor, credential=credential, version=version, **fields
            )
            version = None
        if revoked is not None:
            credential = services.set_credential_revoked(
                actor=actor, credential=credential, revoked=revoked, version=version
            )
    return credential_out(credential)


@vault.delete(
    "/orgs/{org}/projects/{project_id}/credentials/{credential_id}",
    response={204: None, **ERRORS},
)
def credential_delete(request, org: str, project_id: int, credential_id: int):
    actor = actor_for(request, org)
    credential = credential_selectors.credential_for(actor, project_id, credential_id)
    services.delete_credential(actor=actor, credential=credential)
    return Status(204, None)


# --- reveal ---------------------------------------------------------------------------------------


@vault.post("/orgs/{org}/reveal", response={200: RevealOut, **ERRORS})
def reveal(request, org: str, payload: RevealIn, response: HttpResponse):
    """The plain value of one sensitive field: admins, and the manager of a project of the
    entity (of the credential's project); a reason is required and the reveal is audited."""
    actor = actor_for(request, org)
    obj = credential_selectors.revealable_for(actor, payload.object_type, payload.object_id)
    value = services.reveal_secret(actor=actor, obj=obj, field=payload.field, reason=payload.reason)
    response["Cache-Control"] = "no-store"
    return {"value": value}
