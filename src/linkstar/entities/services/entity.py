"""Writes on the seller entity itself (the company record)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, check_version
from linkstar.entities import identifiers
from linkstar.entities.models import SellerEntity
from linkstar.entities.sensitive import masked_changes
from linkstar.entities.services.validation import Checker

EDITABLE = (
    "name",
    "name_en",
    "registration_number",
    "country",
    "registered_address",
    "licence_expiry",
    "legal_rep_name",
    "legal_rep_id_number",
    "notes",
)


def refuse_erased(entity: SellerEntity) -> None:
    """An entity whose personal data was erased takes no new personal data (409 ``erased``)."""
    if entity.erased_at is not None:
        raise Conflict(
            _("The personal data of this seller entity was erased; it cannot be changed."),
            code="entity_erased",
        )


def _clean(values: dict) -> dict:
    cleaned = {k: v for k, v in values.items() if k in EDITABLE}
    check = Checker(SellerEntity)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            check.fail("name", _("A seller entity needs a name."))
    for field in ("name", "name_en", "registered_address", "legal_rep_name", "notes"):
        check.text(cleaned, field)
    check.compact(cleaned, "registration_number")
    check.compact(cleaned, "legal_rep_id_number")
    check.country(cleaned, "country")
    check.date(cleaned, "licence_expiry")
    check.done()
    return cleaned


@sensitive_variables("fields", "values")
@transaction.atomic
def create_entity(*, actor: Actor, name: str, **fields) -> SellerEntity:
    """Admins and managers register seller entities; names are unique in an organization."""
    policy.require(actor, "entity.create")
    values = _clean({"name": name, **fields})
    if SellerEntity.objects.filter(organization=actor.organization, name=values["name"]).exists():
        raise InvalidInput(FieldError("name", _("A seller entity with this name already exists.")))
    entity = SellerEntity.objects.create(organization=actor.organization, **values)
    identifiers.sync(entity)
    record(
        actor=actor,
        action="entity.created",
        obj=entity,
        changes=masked_changes(SellerEntity, {}, values),
    )
    return entity


@sensitive_variables("fields", "values", "before")
@transaction.atomic
def update_entity(
    *, actor: Actor, entity: SellerEntity, version: int | None = None, **fields
) -> SellerEntity:
    """Admins and managers edit the company record; a stale ``version`` is refused (409)."""
    policy.require(actor, "entity.update", entity)
    entity = SellerEntity.objects.select_for_update().get(pk=entity.pk)
    refuse_erased(entity)
    check_version(entity, version)
    values = _clean(fields)
    before = {f: getattr(entity, f) for f in values}
    for key, value in values.items():
        setattr(entity, key, value)
    changes = masked_changes(SellerEntity, before, values)
    if not changes:
        return entity
    entity.version += 1
    try:
        with transaction.atomic():
            entity.save()
    except IntegrityError:
        raise InvalidInput(
            FieldError("name", _("A seller entity with this name already exists."))
        ) from None
    identifiers.sync(entity)
    record(actor=actor, action="entity.updated", obj=entity, changes=changes)
    return entity
