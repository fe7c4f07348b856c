"""What compliance does when other apps announce a change (``core/announcements.py``)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from linkstar.compliance.services import (
    after_projects_created,
    check_stage_move,
    check_task_completion,
    on_identifiers_changed,
    task_document_gaps,
)
from linkstar.core.announcements import (
    ENTITY_IDENTIFIERS_CHANGED,
    PROJECTS_CREATED,
    STAGE_MOVING,
    TASK_COMPLETING,
    TASK_DOCUMENT_GAPS,
    listen,
)
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


@listen(PROJECTS_CREATED)
def find_risks_of_new_projects(*, projects) -> None:
    after_projects_created(projects=list(projects))  # one detection for all of them


@listen(STAGE_MOVING)
def gate_the_stage_move(*, project, stage) -> None:
    check_stage_move(project=project, stage=stage)  # readiness and association risks


@listen(TASK_COMPLETING)
def gate_the_completion(*, task, documents_confirmed: bool = False) -> None:
    check_task_completion(task=task, documents_confirmed=documents_confirmed)


@listen(TASK_DOCUMENT_GAPS)
def documents_missing_for(*, task) -> list[str]:
    return task_document_gaps(task)
