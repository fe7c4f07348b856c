"""Stop-gap: association risks found again after an entity's identifiers change.

The entity services keep ``entities.Identifier`` in step with every write (in bulk, so no signal
of ``Identifier`` itself fires). Until they call ``services.on_identifiers_changed(entity)`` in
their own transaction, these receivers notice a write of an entity or of one of its records and
run the detection once the transaction has committed (the identifiers are written after the
record is saved). Remove this module, and its line in ``apps.py``, once the entity services
make the call themselves; running both does no harm (detection is idempotent)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from linkstar.compliance.services import on_identifiers_changed
from linkstar.entities.models import SellerEntity


def _detect(entity_id: int) -> None:
    entity = SellerEntity.objects.filter(pk=entity_id).first()
    if entity is not None:
        with transaction.atomic():
            on_identifiers_changed(entity)


def _entity_written(sender, instance, **kwargs) -> None:
    entity_id = instance.pk if sender.__name__ == "SellerEntity" else instance.entity_id
    if entity_id is not None and not kwargs.get("raw"):
        transaction.on_commit(partial(_detect, entity_id))


def connect() -> None:
    try:
        from linkstar.entities.identifiers import RECORD_MODELS
    except ImportError:  # the records are not there: the entity alone holds identifiers
        RECORD_MODELS = ()
    for model in (SellerEntity, *RECORD_MODELS):
        post_save.connect(_entity_written, sender=model, dispatch_uid=f"risks:{model.__name__}")
        post_delete.connect(
            _entity_written, sender=model, dispatch_uid=f"risks:del:{model.__name__}"
        )
