"""The document vault's endpoints: uploads (multipart), metadata, downloads, task attachments."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from linkstar.accounts.web import actor_for
from linkstar.core import policy
from linkstar.core.api import ERRORS, Paging, page
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.documents import selectors, services
from linkstar.documents.downloads import file_response
from linkstar.documents.models import Document, DocumentStatus
from linkstar.documents.schemas import (
    AttachmentIn,
    AttachmentList,
    AttachmentOut,
    DocumentDetailOut,
    DocumentList,
    DocumentOut,
    DocumentUploadIn,
)
from linkstar.entities.selectors import visible_entities
from linkstar.projects import visibility

router = Router(tags=["document vault"])

FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "The file, as an attachment (Content-Disposition with the UTF-8 name).",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


class DocumentFilters(Schema):
    expiring: bool = False
    entity: int | None = None
    document_type: str | None = None
    status: DocumentStatus | None = None
    current: bool = True


class EntityDocumentFilters(Schema):
    document_type: str | None = None
    current: bool = True


def _download_url(org: str, document_id: int) -> str:
    return reverse("api:document_download", kwargs={"org": org, "document_id": document_id})


def document_out(document: Document, *, org: str, today) -> dict:
    return {
        "id": document.pk,
        "entity_id": document.entity_id,
        "entity_name": document.entity.name,
        "document_type": document.document_type.code,
        "document_type_name": document.document_type.display_name,
        "person_name": document.person_name,
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "issue_date": document.issue_date,
        "expiry_date": document.expiry_date,
        "notes": document.notes,
        "status": document.status_on(today),
        "days_left": document.days_left(today),
        "is_current": document.is_current,
        "version_number": document.version_number,
        "supersedes_id": document.supersedes_id,
        "uploaded_by_id": document.uploaded_by_id,
        "uploaded_at": document.created_at,
        "download_url": _download_url(org, document.pk),
    }


def _version_out(document: Document, *, org: str, today) -> dict:
    return {
        "id": document.pk,
        "version_number": document.version_number,
        "is_current": document.is_current,
        "original_name": document.original_name,
        "size": document.size,
        "sha256": document.sha256,
        "issue_date": document.issue_date,
        "expiry_date": document.expiry_date,
        "status": document.status_on(today),
        "uploaded_by_id": document.uploaded_by_id,
        "uploaded_at": document.created_at,
        "download_url": _download_url(org, document.pk),
    }


def _attachment_out(attachment, *, org: str, today) -> dict:
    return {
        "id": attachment.pk,
        "task_id": attachment.task_id,
        "document_id": attachment.document_id,
        "document": document_out(attachment.document, org=org, today=today),
        "attached_by_id": attachment.attached_by_id,
        "attached_at": attachment.attached_at,
    }


@router.get("/orgs/{org}/documents", response={200: DocumentList, **ERRORS})
def document_list(request, org: str, filters: Query[DocumentFilters], paging: Query[Paging]):
    """The documents the caller may see; ``expiring=true``: what expires next (current documents
    already expired or expiring within 60 days, soonest first)."""
    actor = actor_for(request, org)
    today = services.org_today(actor.organization)
    if filters.expiring:
        qs = selectors.expiring_documents(actor=actor, today=today)
        if filters.entity:
            qs = qs.filter(entity_id=filters.entity)
        if filters.document_type:
            qs = qs.filter(document_type__code=filters.document_type)
    else:
        qs = selectors.document_list(
            actor=actor,
            today=today,
            entity=filters.entity,
            document_type=filters.document_type,
            status=filters.status,
            current_only=filters.current,
        )
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ds: [document_out(d, org=org, today=today) for d in ds],
    )


@router.get("/orgs/{org}/entities/{entity_id}/documents", response={200: DocumentList, **ERRORS})
def entity_document_list(
    request, org: str, entity_id: int, filters: Query[EntityDocumentFilters], paging: Query[Paging]
):
    actor = actor_for(request, org)
    entity = policy.get_visible(visible_entities(actor), pk=entity_id)
    today = services.org_today(actor.organization)
    qs = selectors.document_list(
        actor=actor,
        today=today,
        entity=entity.pk,
        document_type=filters.document_type,
        current_only=filters.current,
    )
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ds: [document_out(d, org=org, today=today) for d in ds],
    )


def _upload(fields: DocumentUploadIn, file) -> dict:
    """The upload service's arguments from a multipart request (422 without a file)."""
    if file is None:
        raise InvalidInput(FieldError("file", _("Choose a file to upload.")))
    return {**fields.model_dump(), "file": file}


@router.post("/orgs/{org}/entities/{entity_id}/documents", response={201: DocumentOut, **ERRORS})
def document_upload(
    request,
    org: str,
    entity_id: int,
    fields: Form[DocumentUploadIn],
    file: File[UploadedFile] = None,
):
    """Upload a document (multipart/form-data: ``file`` plus the fields). A new upload of the
    same type for the same entity and person supersedes the current one."""
    actor = actor_for(request, org)
    entity = policy.get_visible(visible_entities(actor), pk=entity_id)
    document = services.upload_document(actor=actor, entity=entity, **_upload(fields, file))
    document = selectors.document_get(actor=actor, document_id=document.pk)
    today = services.org_today(actor.organization)
    return Status(201, document_out(document, org=org, today=today))


@router.get("/orgs/{org}/documents/{document_id}", response={200: DocumentDetailOut, **ERRORS})
def document_detail(request, org: str, document_id: int):
    """A document's metadata, every version (newest first) and the tasks it was used for."""
    actor = actor_for(request, org)
    document = selectors.document_get(actor=actor, document_id=document_id)
    today = services.org_today(actor.organization)
    versions = selectors.document_versions(document=document)
    uses = selectors.document_uses(actor=actor, documents=versions)
    return {
        **document_out(document, org=org, today=today),
        "versions": [_version_out(v, org=org, today=today) for v in versions],
        "used_in": [
            {
                "attachment_id": a.pk,
                "document_id": a.document_id,
                "version_number": a.document.version_number,
                "task_id": a.task_id,
                "project_id": a.task.project_id,
                "project_code": a.task.project.code,
                "store_name": a.task.project.store_name,
                "attached_at": a.attached_at,
            }
            for a in uses
        ],
    }


@router.get(
    "/orgs/{org}/documents/{document_id}/download",
    response=ERRORS,
    url_name="document_download",
    openapi_extra=FILE_RESPONSE,
)
def document_download(request, org: str, document_id: int):
    """The file itself, streamed; the same visibility as the metadata (another organization's
    document → 404)."""
    actor = actor_for(request, org)
    return file_response(selectors.document_get(actor=actor, document_id=document_id))


def _task(actor, task_id: int):
    return policy.get_visible(visibility.visible_tasks(actor).select_related("project"), pk=task_id)


@router.get("/orgs/{org}/tasks/{task_id}/attachments", response={200: AttachmentList, **ERRORS})
def attachment_list(request, org: str, task_id: int):
    actor = actor_for(request, org)
    task = _task(actor, task_id)
    today = services.org_today(actor.organization)
    attachments = selectors.task_attachments(task=task)
    items = [_attachment_out(a, org=org, today=today) for a in attachments]
    return {"items": items, "count": len(items)}


@router.post("/orgs/{org}/tasks/{task_id}/attachments", response={201: AttachmentOut, **ERRORS})
def attachment_create(request, org: str, task_id: int, payload: AttachmentIn):
    """Attach a current document of the project's entity to the task (``task.work``)."""
    actor = actor_for(request, org)
    task = _task(actor, task_id)
    document = Document.objects.filter(
        organization_id=actor.organization.pk, pk=payload.document_id
    ).first()
    if document is None:
        raise InvalidInput(FieldError("document_id", _("No such document.")))
    attachment = services.attach_document(actor=actor, task=task, document=document)
    attachment = selectors.attachment_get(actor=actor, task=task, attachment_id=attachment.pk)
    today = services.org_today(actor.organization)
    return Status(201, _attachment_out(attachment, org=org, today=today))


@router.post("/orgs/{org}/tasks/{task_id}/documents", response={201: AttachmentOut, **ERRORS})
def task_document_upload(
    request,
    org: str,
    task_id: int,
    fields: Form[DocumentUploadIn],
    file: File[UploadedFile] = None,
):
    """Upload a document for the project's seller entity and attach it to the task in one step
    (multipart/form-data, the fields of a vault upload)."""
    actor = actor_for(request, org)
    task = _task(actor, task_id)
    attachment = services.upload_and_attach(actor=actor, task=task, **_upload(fields, file))
    attachment = selectors.attachment_get(actor=actor, task=task, attachment_id=attachment.pk)
    today = services.org_today(actor.organization)
    return Status(201, _attachment_out(attachment, org=org, today=today))


@router.delete(
    "/orgs/{org}/tasks/{task_id}/attachments/{attachment_id}", response={204: None, **ERRORS}
)
def attachment_delete(request, org: str, task_id: int, attachment_id: int):
    actor = actor_for(request, org)
    task = _task(actor, task_id)
    attachment = selectors.attachment_get(actor=actor, task=task, attachment_id=attachment_id)
    services.detach_document(actor=actor, attachment=attachment)
    return Status(204, None)
