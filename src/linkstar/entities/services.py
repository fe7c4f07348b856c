"""Writes on seller entities."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import diff, record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, check_version
from linkstar.core.masking import mask
from linkstar.entities.models import SellerEntity

EDITABLE = (
    "name",
    "name_en",
    "registration_number",
    "country",
    "legal_rep_name",
    "legal_rep_id_number",
    "notes",
)


def _masked_diff(before: dict, after: dict) -> dict:
    """The changes as the audit log may hold them: sensitive values masked, never plain."""
    changes = diff(before, after)
    for field in SellerEntity.SENSITIVE_FIELDS:
        if field in changes:
            changes[field] = {k: mask(v) for k, v in changes[field].items()}
    return changes


def _clean(values: dict) -> dict:
    cleaned = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in EDITABLE
    }
    if "name" in cleaned and not cleaned["name"]:
        raise InvalidInput(FieldError("name", _("A seller entity needs a name.")))
    too_long = [
        FieldError(k, _("At most %(n)d characters.") % {"n": limit})
        for k, v in cleaned.items()
        if isinstance(v, str)
        and (limit := SellerEntity._meta.get_field(k).max_length)
        and len(v) > limit
    ]
    if too_long:
        raise InvalidInput(too_long)
    return cleaned


@transaction.atomic
def create_entity(*, actor: Actor, name: str, **fields) -> SellerEntity:
    """Admins and managers register seller entities; names are unique in an organization."""
    policy.require(actor, "entity.create")
    values = _clean({"name": name, **fields})
    if SellerEntity.objects.filter(organization=actor.organization, name=values["name"]).exists():
        raise InvalidInput(FieldError("name", _("A seller entity with this name already exists.")))
    entity = SellerEntity.objects.create(organization=actor.organization, **values)
    record(actor=actor, action="entity.created", obj=entity, changes=_masked_diff({}, values))
    return entity


@transaction.atomic
def update_entity(
    *, actor: Actor, entity: SellerEntity, version: int | None = None, **fields
) -> SellerEntity:
    policy.require(actor, "entity.update", entity)
    entity = SellerEntity.objects.select_for_update().get(pk=entity.pk)
    check_version(entity, version)
    values = _clean(fields)
    before = {f: getattr(entity, f) for f in values}
    for key, value in values.items():
        setattr(entity, key, value)
    changes = _masked_diff(before, values)
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
    record(actor=actor, action="entity.updated", obj=entity, changes=changes)
    return entity
