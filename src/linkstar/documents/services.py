"""Writes on the document vault: uploads (with versions) and task attachments.

An upload is checked completely before anything is written (``documents.checks``), then the
file is written to the "documents" storage under a generated name, then the row and its audit
event are written in one transaction; if that transaction fails, the file is deleted again, so
a document exists with its file or not at all. Audit events describe files (name, size, SHA-256),
never their contents.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.files.storage import InvalidStorageError, Storage, storages
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from linkstar.audit.services import Entry, record, record_many
from linkstar.catalog.models import DocumentType
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.core.masking import mask
from linkstar.documents import selectors
from linkstar.documents.checks import KINDS, CheckedFile, inspect_upload
from linkstar.documents.models import Document, DocumentStatus, TaskAttachment
from linkstar.entities.models import SellerEntity
from linkstar.entities.services.entity import refuse_erased

log = logging.getLogger(__name__)

STORAGE_ALIAS = "documents"
STORAGE_PREFIX = "documents"
MAX_NOTES = 2000
MAX_PERSON_NAME = Document._meta.get_field("person_name").max_length


def document_storage() -> Storage:
    """The storage documents live in: the "documents" alias, else the default storage."""
    try:
        return storages[STORAGE_ALIAS]
    except InvalidStorageError:
        return storages["default"]


def _document_type(value) -> DocumentType:
    if isinstance(value, DocumentType):
        return value
    code = (value or "").strip() if isinstance(value, str) else ""
    found = DocumentType.objects.filter(code=code).first() if code else None
    if found is None:
        raise InvalidInput(
            FieldError("document_type", _("Choose a document type from the catalog."))
        )
    return found


def date_errors(issue_date, expiry_date, *, today: dt.date) -> list[FieldError]:
    """What is wrong with a document's dates: issued in the future, expiring before issued."""
    errors = []
    if issue_date is not None and issue_date > today:
        errors.append(FieldError("issue_date", _("The issue date cannot be in the future.")))
    if issue_date is not None and expiry_date is not None and expiry_date < issue_date:
        errors.append(
            FieldError("expiry_date", _("The expiry date cannot be before the issue date."))
        )
    return errors


def _clean_fields(
    *, issue_date, expiry_date, notes: str, person_name: str, today: dt.date
) -> tuple[str, str]:
    errors = date_errors(issue_date, expiry_date, today=today)
    notes = (notes or "").strip()
    person_name = " ".join((person_name or "").split())
    if len(notes) > MAX_NOTES:
        errors.append(FieldError("notes", _("At most %(n)d characters.") % {"n": MAX_NOTES}))
    if len(person_name) > MAX_PERSON_NAME:
        errors.append(
            FieldError("person_name", _("At most %(n)d characters.") % {"n": MAX_PERSON_NAME})
        )
    if errors:
        raise InvalidInput(errors)
    return notes, person_name


def expiry_problem(expiry_date: dt.date | None, current: Document | None, *, today: dt.date) -> str:
    """Why a new version with this expiry date should not silently become current: it is
    already expired, or it expires before the version it would replace. Empty when fine."""
    if expiry_date is None:
        return ""
    if expiry_date < today:
        return _(
            "This version expired on %(day)s. Confirm to file it as the current version anyway."
        ) % {"day": expiry_date.isoformat()}
    if current is not None and current.expiry_date and expiry_date < current.expiry_date:
        return _(
            "This version expires on %(day)s, before the current version (valid until %(until)s). "
            "Confirm to replace it anyway."
        ) % {"day": expiry_date.isoformat(), "until": current.expiry_date.isoformat()}
    return ""


def discard_file(name: str) -> None:
    """Delete a stored file whose row was not written (a failed upload elsewhere)."""
    _discard(document_storage(), name)


def _discard(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the original error matters more; the sweep removes what is left
        log.exception("could not delete the stored file of a failed upload")


def upload_document(
    *,
    actor: Actor,
    entity: SellerEntity,
    document_type: DocumentType | str,
    file,
    issue_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    notes: str = "",
    person_name: str = "",
    confirm_expiry: bool = False,
) -> Document:
    """File a document for a seller entity (or one of its people, ``person_name``).

    Who: ``document.upload`` (admins and managers; a client for its own entity; operators and
    reviewers for the entities of projects they are on). The file must pass every check of
    ``documents.checks`` (size limit ``LINKSTAR_UPLOAD_MAX_BYTES``, content type by magic bytes
    against the allow-list, matching extension, safe name). A new upload of the same type for
    the same entity and person supersedes the current one, which stays as an older version —
    but a version that is already expired, or expires before the current one, does not become
    current unless ``confirm_expiry`` (409 ``expiry_confirmation_needed`` saying why).
    Nothing is half-stored: no row without its file, no file without its row."""
    policy.require(actor, "document.upload", entity)
    refuse_erased(entity)
    doc_type = _document_type(document_type)
    today = org_today(actor.organization)
    notes, person_name = _clean_fields(
        issue_date=issue_date,
        expiry_date=expiry_date,
        notes=notes,
        person_name=person_name,
        today=today,
    )
    checked, stored_name = store_checked_file(file, organization=actor.organization)
    storage = document_storage()
    try:
        return _record_upload(
            actor=actor,
            entity=entity,
            doc_type=doc_type,
            checked=checked,
            stored_name=stored_name,
            issue_date=issue_date,
            expiry_date=expiry_date,
            notes=notes,
            person_name=person_name,
            confirm_expiry=confirm_expiry,
            today=today,
        )
    except BaseException:
        _discard(storage, stored_name)
        raise


def store_checked_file(
    file, *, organization, folder: str = STORAGE_PREFIX
) -> tuple[CheckedFile, str]:
    """Check ``file`` as the vault checks every upload (``documents.checks``), then write it to
    the documents storage under ``folder/<organization>/`` with a generated name."""
    checked = inspect_upload(file, max_bytes=settings.LINKSTAR_UPLOAD_MAX_BYTES)
    generated = f"{folder}/{organization.pk}/{uuid.uuid4().hex}.{checked.kind.extensions[0]}"
    if hasattr(file, "seek"):
        file.seek(0)
    return checked, document_storage().save(generated, file)


def file_stored_upload(
    *,
    actor: Actor,
    entity: SellerEntity,
    document_type: DocumentType,
    stored,
    issue_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    notes: str = "",
    confirm_expiry: bool = False,
) -> Document:
    """File as the entity's current version a file that passed the upload checks earlier and
    waits in the storage (``stored``: a row with ``storage_name``, ``original_name``, ``size``,
    ``sha256`` and ``content_type``, such as a client's upload to a document request). The same
    rules as :func:`upload_document`, versions and the expiry confirmation included."""
    policy.require(actor, "document.upload", entity)
    refuse_erased(entity)
    today = org_today(actor.organization)
    notes, person_name = _clean_fields(
        issue_date=issue_date, expiry_date=expiry_date, notes=notes, person_name="", today=today
    )
    kind = next(k for k in KINDS.values() if k.content_type == stored.content_type)
    checked = CheckedFile(
        name=stored.original_name, kind=kind, size=stored.size, sha256=stored.sha256
    )
    return _record_upload(
        actor=actor,
        entity=entity,
        doc_type=document_type,
        checked=checked,
        stored_name=stored.storage_name,
        issue_date=issue_date,
        expiry_date=expiry_date,
        notes=notes,
        person_name=person_name,
        confirm_expiry=confirm_expiry,
        today=today,
    )


@transaction.atomic
def _record_upload(
    *,
    actor,
    entity,
    doc_type,
    checked,
    stored_name,
    issue_date,
    expiry_date,
    notes,
    person_name,
    confirm_expiry: bool = False,
    today: dt.date,
) -> Document:
    # One upload at a time per entity: the version number and the "current" flag stay exact.
    SellerEntity.objects.select_for_update().filter(pk=entity.pk).first()
    family = Document.objects.filter(
        entity_id=entity.pk, document_type=doc_type, person_name=person_name
    )
    previous = family.select_for_update().filter(is_current=True).first()
    number = (family.aggregate(n=Max("version_number"))["n"] or 0) + 1
    problem = expiry_problem(expiry_date, previous, today=today)
    if problem and not confirm_expiry:
        raise Conflict(problem, code="expiry_confirmation_needed")
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current", "updated_at"])
    document = Document.objects.create(
        organization=actor.organization,
        entity_id=entity.pk,
        document_type=doc_type,
        person_name=person_name,
        issue_date=issue_date,
        expiry_date=expiry_date,
        notes=notes,
        is_current=True,
        supersedes=previous,
        version_number=number,
        uploaded_by=actor.user,
        storage_name=stored_name,
        original_name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        content_type=checked.kind.content_type,
    )
    facts = {
        "entity_id": entity.pk,
        "document_type": doc_type.code,
        # The person and the notes are personal data that an erasure must be able to destroy:
        # the append-only audit keeps them masked (the person) or not at all (whether notes exist).
        "person_name": mask(person_name, keep_start=1, keep_end=0) if person_name else "",
        "original_name": checked.name,
        "size": checked.size,
        "sha256": checked.sha256,
        "content_type": checked.kind.content_type,
        "issue_date": issue_date,
        "expiry_date": expiry_date,
        "has_notes": bool(notes),
        "version_number": number,
        "supersedes": previous.pk if previous else None,
        **({"expiry_confirmed": True} if problem else {}),
    }
    entries = [
        Entry(
            action="document.uploaded",
            object_type="document",
            object_id=document.pk,
            object_repr=str(document)[:300],
            changes={k: {"before": None, "after": _plain(v)} for k, v in facts.items()},
        )
    ]
    if previous is not None:
        entries.append(
            Entry(
                action="document.superseded",
                object_type="document",
                object_id=previous.pk,
                object_repr=str(previous)[:300],
                changes={
                    "is_current": {"before": True, "after": False},
                    "superseded_by": {"before": None, "after": document.pk},
                },
            )
        )
    record_many(actor=actor, entries=entries)
    return document


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


# --- attachments ---------------------------------------------------------------------------------


def require_active(project) -> None:
    if project.status == "closed":
        raise Conflict(_("Project %(c)s is closed.") % {"c": project.code}, code="project_closed")


def _attachment_text(document: Document) -> str:
    return f"{document.original_name} · v{document.version_number} (#{document.pk})"


@transaction.atomic
def attach_document(*, actor: Actor, task, document: Document) -> TaskAttachment:
    """Record that ``document`` is used for ``task`` (which licence version went to which store).

    Who: ``task.work`` on the task. The document must be visible to the actor, belong to the
    project's seller entity, be the current version and not be expired; a document is attached
    to a task once."""
    policy.require(actor, "task.work", task)
    project = task.project
    require_active(project)
    # Read afresh: the caller's copy may predate a newer upload.
    document = selectors.visible_documents(actor).filter(pk=document.pk).first()
    if document is None:
        raise InvalidInput(FieldError("document_id", _("No such document.")))
    if document.entity_id != project.entity_id:
        raise InvalidInput(
            FieldError(
                "document_id",
                _("This document belongs to another seller entity than the project's."),
            )
        )
    if not document.is_current:
        raise InvalidInput(
            FieldError(
                "document_id",
                _("A newer version of this document exists; attach the current version."),
            )
        )
    today = org_today(actor.organization)
    if document.status_on(today) == DocumentStatus.EXPIRED:
        raise InvalidInput(
            FieldError(
                "document_id",
                _("This document expired on %(day)s; upload a valid one first.")
                % {"day": document.expiry_date.isoformat()},
            )
        )
    if TaskAttachment.objects.filter(task=task, document=document).exists():
        raise Conflict(_("This document is already attached to the task."), code="already_attached")
    attachment = TaskAttachment.objects.create(
        organization=actor.organization, task=task, document=document, attached_by=actor.user
    )
    record(
        actor=actor,
        action="document.attached",
        obj=task,
        project_id=project.pk,
        changes={
            "document": {"before": None, "after": _attachment_text(document)},
            "attachment_id": {"before": None, "after": attachment.pk},
        },
    )
    return attachment


@transaction.atomic
def upload_and_attach(*, actor: Actor, task, **upload) -> TaskAttachment:
    """Upload a document for the task's project's seller entity and attach it to the task in
    one step (both permission checks apply; nothing is kept if either refuses)."""
    policy.require(actor, "task.work", task)
    require_active(task.project)
    document = upload_document(actor=actor, entity=task.project.entity, **upload)
    return attach_document(actor=actor, task=task, document=document)


@transaction.atomic
def detach_document(*, actor: Actor, attachment: TaskAttachment) -> None:
    """Remove a document from a task (``task.work``); the document itself stays in the vault."""
    task = attachment.task
    policy.require(actor, "task.work", task)
    require_active(task.project)
    document = attachment.document
    attachment_id = attachment.pk
    attachment.delete()
    record(
        actor=actor,
        action="document.detached",
        obj=task,
        project_id=task.project_id,
        changes={
            "document": {"before": _attachment_text(document), "after": None},
            "attachment_id": {"before": attachment_id, "after": None},
        },
    )


# --- housekeeping ----------------------------------------------------------------------------------


def sweep_orphan_files(*, older_than: dt.timedelta = dt.timedelta(hours=6)) -> list[str]:
    """Delete stored files no document row points at (left when an upload's transaction was
    rolled back by a caller's outer transaction). Recent files are left alone: their upload may
    still be committing."""
    storage = document_storage()
    known = set(Document.objects.values_list("storage_name", flat=True))
    cutoff = clock.now() - older_than
    removed = []
    for name in _walk(storage, STORAGE_PREFIX):
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (NotImplementedError, OSError):
            continue
        if modified <= cutoff:
            storage.delete(name)
            removed.append(name)
    return removed


def _walk(storage: Storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}/{sub}")
