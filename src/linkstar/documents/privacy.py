"""Erasure of a seller entity's personal data on request (PIPL / GDPR).

It lives here, above the entities and projects, because it destroys the entity's documents too.
What goes: every encrypted value and personal field of the entity (set to empty, so the
ciphertext is gone), its people, contacts, collection accounts, cards and addresses, its
association-risk identifiers, the secrets and logins of its stores' credentials, and every version
of its documents — the files, deleted from storage once the erasure commits, and the rows'
personal metadata (person, file name, notes, dates, checksum). Document requests and archives
above this layer clear their own files (``ENTITY_ERASING``). What stays: the entity row under a
neutral name, marked erased, so that its projects and their history still read; the document rows
(type, version, uploader) so that attachments still say which document was used.

The audit trail is append-only: the erasure adds one event saying who erased which entity and how
many things of each kind, never a value. The sensitive values were never in it in clear (the
entity services record them masked).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.announcements import ENTITY_ERASING, ENTITY_IDENTIFIERS_CHANGED, announce, gather
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.documents.models import Document
from linkstar.documents.services import document_storage
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
from linkstar.projects.models import StoreProject

log = logging.getLogger(__name__)

ENTITY_PERSONAL_FIELDS = {
    "name_en": "",
    "registration_number": "",
    "registered_address": "",
    "licence_expiry": None,
    "legal_rep_name": "",
    "legal_rep_id_number": "",
    "notes": "",
}
RECORDS = (
    ("people", EntityPerson),
    ("contacts", EntityContact),
    ("collection_accounts", CollectionAccount),
    ("cards", EntityCard),
    ("addresses", EntityAddress),
)
DOCUMENT_PERSONAL_FIELDS = {
    "storage_name": "",
    "original_name": "",
    "person_name": "",
    "notes": "",
    "issue_date": None,
    "expiry_date": None,
    "sha256": "",
    "size": 0,
    "is_current": False,
}


def erased_name(entity: SellerEntity) -> str:
    """The neutral name an erased entity keeps (unique: it carries the row's id)."""
    return _("Erased seller entity #%(id)s") % {"id": entity.pk}


def delete_files_on_commit(names: list[str]) -> None:
    """Delete the stored files ``names`` once the current transaction commits (never before:
    a rolled-back erasure must leave every file in place)."""
    names = sorted({n for n in names if n})
    if names:
        transaction.on_commit(lambda: delete_files(names))


def delete_files(names: list[str]) -> int:
    """Delete stored files now; a file already gone is fine. Returns how many were deleted."""
    storage = document_storage()
    deleted = 0
    for name in names:
        try:
            storage.delete(name)
            deleted += 1
        except FileNotFoundError:
            continue
        except Exception:  # one unreachable file must not keep the others
            log.exception("could not delete an erased document file")
    return deleted


def document_files(documents) -> list[str]:
    return [name for name in documents.values_list("storage_name", flat=True) if name]


@transaction.atomic
def erase_entity(*, actor: Actor, entity: SellerEntity, confirm_name: str) -> SellerEntity:
    """Erase the personal data of ``entity`` (see the module's docstring for what goes and what
    stays). Who: administrators only (``entity.erase``). ``confirm_name`` must repeat the
    entity's name exactly (422 otherwise); an entity erased already answers 409 ``already_erased``.
    One transaction; the files are deleted once it commits. The erased entity takes no new
    project and no new personal data."""
    policy.require(actor, "entity.erase", entity)
    entity = SellerEntity.objects.select_for_update().get(pk=entity.pk)
    if entity.is_erased:
        raise Conflict(
            _("The personal data of this seller entity was erased already."),
            code="already_erased",
        )
    if (confirm_name or "").strip() != entity.name:
        raise InvalidInput(
            FieldError(
                "confirm_name",
                _("Type the seller entity's name exactly as shown to confirm the erasure."),
            )
        )
    counts: dict[str, int] = {}
    for key, model in RECORDS:
        counts[key], _detail = model.objects.filter(entity=entity).delete()
    counts["identifiers"], _detail = Identifier.objects.filter(entity=entity).delete()

    project_ids = list(StoreProject.objects.filter(entity=entity).values_list("pk", flat=True))
    credentials = StoreCredential.objects.filter(project_id__in=project_ids)
    now = clock.now()
    counts["credentials"] = credentials.count()
    credentials.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor.user)
    credentials.update(secret="", login="", updated_at=now)

    documents = Document.objects.filter(entity=entity)
    files = document_files(documents)
    counts["documents"] = documents.count()
    documents.update(**DOCUMENT_PERSONAL_FIELDS, file_removed_at=now, updated_at=now)
    files += gather(
        ENTITY_ERASING,
        organization_id=entity.organization_id,
        entity_id=entity.pk,
        project_ids=project_ids,
    )
    counts["files"] = len({f for f in files if f})

    for field, empty in ENTITY_PERSONAL_FIELDS.items():
        setattr(entity, field, empty)
    entity.name = erased_name(entity)
    entity.erased_at = now
    entity.version += 1
    entity.save()
    announce(ENTITY_IDENTIFIERS_CHANGED, entity_id=entity.pk)
    record(
        actor=actor,
        action="entity.erased",
        obj=entity,
        changes={
            "erased": {"before": None, "after": True},
            **{key: {"before": n, "after": 0} for key, n in counts.items()},
        },
    )
    delete_files_on_commit(files)
    return entity
