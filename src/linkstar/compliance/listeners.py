"""What compliance does when other apps announce a change (``core/announcements.py``)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from linkstar.compliance.services import on_identifiers_changed
from linkstar.core.announcements import ENTITY_IDENTIFIERS_CHANGED, listen
from linkstar.entities.models import SellerEntity


def _detect(entity_id: int) -> None:
    entity = SellerEntity.objects.filter(pk=entity_id).first()
    if entity is not None:
        with transaction.atomic():
            on_identifiers_changed(entity)


@listen(ENTITY_IDENTIFIERS_CHANGED)
def find_risks_again(*, entity_id: int) -> None:
    """The association risks of the entity's projects, found again once the change is committed
    (the records of one request are all written by then; detection is idempotent)."""
    transaction.on_commit(partial(_detect, entity_id))
