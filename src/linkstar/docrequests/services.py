"""Writes on document requests (补料请求).

The team asks (``open_request``); the client — logged in, or through an expiring link — uploads
against each item (``upload_to_item``), the file checked exactly as the vault checks every
upload and kept in the storage's ``requests/`` folder; the team reviews each upload
(``review_upload``): accepted, it becomes the entity's current vault version (and so the
readiness gate sees it); sent back, the client reads why and uploads again. A request whose
items are all accepted is complete. Every step is audited and told to the people concerned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import DocumentType
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, NotFound
from linkstar.docrequests.models import (
    DocumentRequest,
    ItemStatus,
    RequestItem,
    RequestStatus,
    RequestUpload,
    UploadLink,
    UploadStatus,
)
from linkstar.documents.services import (
    date_errors,
    discard_file,
    file_stored_upload,
    store_checked_file,
)
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import ProjectStatus, StoreProject

STORAGE_FOLDER = "requests"
MAX_ITEMS = 30
MAX_MESSAGE = 2000
MAX_NOTE = RequestItem._meta.get_field("note").max_length
MAX_REASON = RequestItem._meta.get_field("reason").max_length
LINK_DAYS_DEFAULT = 14
LINK_DAYS_MAX = 60


def _text(value, *, field: str, limit: int) -> str:
    text = " ".join(str(value or "").split()) if field != "message" else str(value or "").strip()
    if len(text) > limit:
        raise InvalidInput(FieldError(field, _("At most %(n)d characters.") % {"n": limit}))
    return text


def _require_open(request: DocumentRequest) -> None:
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            _("This document request is %(status)s; nothing more can be uploaded or reviewed.")
            % {"status": request.get_status_display()},
            code="request_closed",
        )


def _clean_items(items) -> list[tuple[DocumentType, str]]:
    if not items:
        raise InvalidInput(FieldError("items", _("Ask for at least one document.")))
    if len(items) > MAX_ITEMS:
        raise InvalidInput(
            FieldError("items", _("Ask for at most %(n)d documents at once.") % {"n": MAX_ITEMS})
        )
    codes = [str((i or {}).get("document_type") or "").strip() for i in items]
    types = {t.code: t for t in DocumentType.objects.filter(code__in=codes)}
    errors, cleaned, seen = [], [], set()
    for row, (code, item) in enumerate(zip(codes, items, strict=True)):
        note = " ".join(str((item or {}).get("note") or "").split())
        if code not in types:
            errors.append(
                FieldError(
                    f"items[{row}].document_type",
                    _("Choose a document type from the catalog."),
                    row=row,
                )
            )
            continue
        if len(note) > MAX_NOTE:
            errors.append(
                FieldError(
                    f"items[{row}].note", _("At most %(n)d characters.") % {"n": MAX_NOTE}, row=row
                )
            )
        if (code, note) in seen:
            errors.append(
                FieldError(
                    f"items[{row}].document_type",
                    _("%(name)s is asked for twice with the same note.")
                    % {"name": types[code].display_name},
                    row=row,
                )
            )
        seen.add((code, note))
        cleaned.append((types[code], note))
    if errors:
        raise InvalidInput(errors)
    return cleaned


@transaction.atomic
def open_request(
    *,
    actor: Actor,
    project: StoreProject,
    items: list[dict],
    due_date: dt.date | None,
    message: str = "",
) -> DocumentRequest:
    """Ask the client of ``project``'s seller entity for documents: ``items`` are
    ``{"document_type": code, "note": str}``. Who: ``docrequest.manage`` (the project's team,
    its manager, admins). The project must be active and the due date not in the past."""
    policy.require(actor, "docrequest.manage", project)
    if project.status != ProjectStatus.ACTIVE:
        raise Conflict(_("The project is closed; ask for documents on an active project."))
    today = org_today(actor.organization)
    errors = []
    if due_date is None:
        errors.append(FieldError("due_date", _("Give the date the documents are needed by.")))
    elif due_date < today:
        errors.append(FieldError("due_date", _("The due date cannot be in the past.")))
    if errors:
        raise InvalidInput(errors)
    message = _text(message, field="message", limit=MAX_MESSAGE)
    cleaned = _clean_items(items)
    request = DocumentRequest.objects.create(
        organization=actor.organization,
        project=project,
        entity_id=project.entity_id,
        message=message,
        due_date=due_date,
        requested_by=actor.user,
    )
    RequestItem.objects.bulk_create(
        RequestItem(
            organization=actor.organization,
            request=request,
            document_type=doc_type,
            note=note,
            position=position,
        )
        for position, (doc_type, note) in enumerate(cleaned)
    )
    record(
        actor=actor,
        action="docrequest.opened",
        obj=request,
        project_id=project.pk,
        changes={
            "due_date": {"before": None, "after": due_date.isoformat()},
            "message": {"before": None, "after": message},
            "items": {
                "before": None,
                "after": [{"document_type": t.code, "note": n} for t, n in cleaned],
            },
        },
    )
    events.publish(
        EventKind.REQUEST_OPENED,
        actor=actor,
        project=project,
        obj=request,
        data={
            "request_id": request.pk,
            "entity_id": project.entity_id,
            "due_date": due_date,
            "documents": "、".join(t.name for t, _n in cleaned),
            "documents_en": ", ".join(t.name_en or t.name for t, _n in cleaned),
            "count": len(cleaned),
        },
    )
    return request


@transaction.atomic
def cancel_request(*, actor: Actor, request: DocumentRequest, reason: str = "") -> DocumentRequest:
    """Withdraw a request that is no longer needed (the platform accepted the store, the client
    sent the documents another way). Uploads waiting for review stay as they are, unreviewed."""
    policy.require(actor, "docrequest.manage", request.project)
    request = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    _require_open(request)
    reason = _text(reason, field="reason", limit=MAX_REASON)
    _close(actor, request, RequestStatus.CANCELLED, reason=reason)
    return request


def _close(actor: Actor, request: DocumentRequest, status: str, *, reason: str | None = None):
    """Close an open request as complete (every item accepted) or withdrawn, audited."""
    request.status, request.closed_at = status, clock.now()
    request.version += 1
    request.save(update_fields=["status", "closed_at", "version", "updated_at"])
    changes = {"status": {"before": RequestStatus.OPEN, "after": status}}
    if reason is not None:
        changes["reason"] = {"before": None, "after": reason}
    action = "docrequest.completed" if status == RequestStatus.DONE else "docrequest.cancelled"
    record(actor=actor, action=action, obj=request, project_id=request.project_id, changes=changes)


def upload_to_item(
    *,
    actor: Actor,
    item: RequestItem,
    file,
    issue_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    link: UploadLink | None = None,
) -> RequestUpload:
    """A file for one requested document. Who: ``docrequest.upload`` (the entity's client, or
    the project's team); through ``link``, only an item of the link's own request. The file
    passes the vault's checks unchanged before anything is written; an upload still waiting for
    review is replaced by the new one."""
    request = item.request
    if link is not None and link.request_id != request.pk:
        raise NotFound()
    policy.require(actor, "docrequest.upload", request.project)
    _require_open(request)
    if item.status == ItemStatus.ACCEPTED:
        raise Conflict(
            _("%(name)s was accepted already; nothing more is needed for it.")
            % {"name": item.document_type.display_name},
            code="item_accepted",
        )
    errors = date_errors(issue_date, expiry_date, today=org_today(actor.organization))
    if errors:
        raise InvalidInput(errors)
    checked, stored_name = store_checked_file(
        file, organization=actor.organization, folder=STORAGE_FOLDER
    )
    try:
        return _record_item_upload(
            actor=actor,
            item=item,
            checked=checked,
            stored_name=stored_name,
            issue_date=issue_date,
            expiry_date=expiry_date,
            link=link,
        )
    except BaseException:
        discard_file(stored_name)
        raise


@transaction.atomic
def _record_item_upload(
    *, actor, item, checked, stored_name, issue_date, expiry_date, link
) -> RequestUpload:
    request = DocumentRequest.objects.select_for_update().get(pk=item.request_id)
    _require_open(request)
    item = RequestItem.objects.select_for_update().get(pk=item.pk)
    if item.status == ItemStatus.ACCEPTED:
        raise Conflict(_("This document was accepted already."), code="item_accepted")
    replaced = list(
        RequestUpload.objects.filter(item=item, status=UploadStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    RequestUpload.objects.filter(pk__in=replaced).update(status=UploadStatus.REPLACED)
    upload = RequestUpload.objects.create(
        organization=actor.organization,
        item=item,
        storage_name=stored_name,
        original_name=checked.name,
        size=checked.size,
        sha256=checked.sha256,
        content_type=checked.kind.content_type,
        issue_date=issue_date,
        expiry_date=expiry_date,
        uploaded_by=actor.user,
        link=link,
    )
    before = item.status
    item.status = ItemStatus.SUBMITTED
    item.reason = ""
    item.save(update_fields=["status", "reason", "updated_at"])
    record(
        actor=actor,
        action="docrequest.uploaded",
        obj=request,
        project_id=request.project_id,
        changes={
            "item_id": {"before": None, "after": item.pk},
            "document_type": {"before": None, "after": item.document_type.code},
            "original_name": {"before": None, "after": checked.name},
            "size": {"before": None, "after": checked.size},
            "sha256": {"before": None, "after": checked.sha256},
            "item_status": {"before": before, "after": ItemStatus.SUBMITTED},
            **({"replaced_uploads": {"before": None, "after": replaced}} if replaced else {}),
            **({"link_id": {"before": None, "after": link.pk}} if link is not None else {}),
        },
    )
    _publish(
        EventKind.REQUEST_UPLOADED,
        actor=actor,
        request=request,
        item=item,
        requested_by=request.requested_by_id,
        original_name=checked.name,
    )
    return upload


@transaction.atomic
def review_upload(
    *,
    actor: Actor,
    upload: RequestUpload,
    decision: str,
    reason: str = "",
    confirm_expiry: bool = False,
) -> RequestUpload:
    """Accept an upload (it becomes the seller entity's current version of the document, with
    the vault's rules: an already expired version, or one expiring before the current one, needs
    ``confirm_expiry``) or send it back with a ``reason`` the client reads."""
    request = (
        DocumentRequest.objects.select_for_update()
        .select_related("project")
        .get(pk=upload.item.request_id)
    )
    policy.require(actor, "docrequest.manage", request.project)
    _require_open(request)
    if decision not in ("accept", "reject"):
        raise InvalidInput(FieldError("decision", _("Choose accept or send back.")))
    upload = RequestUpload.objects.select_for_update().select_related("item").get(pk=upload.pk)
    if upload.status != UploadStatus.PENDING:
        raise Conflict(
            _("This upload was reviewed or replaced already (%(status)s).")
            % {"status": upload.get_status_display()},
            code="upload_reviewed",
        )
    item = upload.item
    reason = _text(reason, field="reason", limit=MAX_REASON)
    if decision == "reject" and not reason:
        raise InvalidInput(
            FieldError("reason", _("Say why the document is sent back: the client reads it."))
        )
    now = clock.now()
    changes = {"item_id": {"before": None, "after": item.pk}, "upload_id": upload.pk}
    if decision == "accept":
        document = file_stored_upload(
            actor=actor,
            entity=request.entity,
            document_type=item.document_type,
            stored=upload,
            issue_date=upload.issue_date,
            expiry_date=upload.expiry_date,
            notes=_("From document request #%(id)s") % {"id": request.pk},
            confirm_expiry=confirm_expiry,
        )
        upload.status, upload.document = UploadStatus.ACCEPTED, document
        item.status, item.document, item.reason = ItemStatus.ACCEPTED, document, ""
        changes["document_id"] = {"before": None, "after": document.pk}
    else:
        upload.status, upload.reason = UploadStatus.REJECTED, reason
        item.status, item.reason = ItemStatus.REJECTED, reason
        changes["reason"] = {"before": None, "after": reason}
    changes = {
        k: v if isinstance(v, dict) else {"before": None, "after": v} for k, v in changes.items()
    }
    upload.reviewed_by, upload.reviewed_at = actor.user, now
    upload.save(
        update_fields=["status", "document", "reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    item.save(update_fields=["status", "document", "reason", "updated_at"])
    record(
        actor=actor,
        action="docrequest.accepted" if decision == "accept" else "docrequest.rejected",
        obj=request,
        project_id=request.project_id,
        changes=changes,
    )
    if not RequestItem.objects.filter(request=request).exclude(status=ItemStatus.ACCEPTED).exists():
        _close(actor, request, RequestStatus.DONE)
    _publish(
        EventKind.REQUEST_REVIEWED,
        actor=actor,
        request=request,
        item=item,
        decision=decision,
        reason=reason,
        complete=request.status == RequestStatus.DONE,
    )
    return upload


def _publish(kind: str, *, actor: Actor, request: DocumentRequest, item: RequestItem, **data):
    """An event about one item of ``request``, named in both languages for the messages."""
    events.publish(
        kind,
        actor=actor,
        project=request.project,
        obj=request,
        data={
            "request_id": request.pk,
            "entity_id": request.entity_id,
            "document_name": item.document_type.name,
            "document_name_en": item.document_type.name_en,
            **data,
        },
    )


# --- upload links --------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_link(
    *, actor: Actor, request: DocumentRequest, days: int | None = None
) -> tuple[UploadLink, str]:
    """An upload link for a client that will not log in: it lets whoever holds it see this
    request's items and upload to them, nothing else, until it expires or is revoked. Returns
    the link and its token, which is shown this once and kept only as a hash."""
    policy.require(actor, "docrequest.manage", request.project)
    _require_open(request)
    days = LINK_DAYS_DEFAULT if days is None else days
    if not isinstance(days, int) or not 1 <= days <= LINK_DAYS_MAX:
        raise InvalidInput(
            FieldError("days", _("A link is valid for 1 to %(n)d days.") % {"n": LINK_DAYS_MAX})
        )
    token = secrets.token_urlsafe(32)
    link = UploadLink.objects.create(
        organization=actor.organization,
        request=request,
        token_hash=hash_token(token),
        expires_at=clock.now() + dt.timedelta(days=days),
        created_by=actor.user,
    )
    record(
        actor=actor,
        action="docrequest.link_created",
        obj=request,
        project_id=request.project_id,
        changes={
            "link_id": {"before": None, "after": link.pk},
            "expires_at": {"before": None, "after": link.expires_at.isoformat()},
        },
    )
    return link, token


@transaction.atomic
def revoke_link(*, actor: Actor, link: UploadLink) -> UploadLink:
    policy.require(actor, "docrequest.manage", link.request.project)
    link = UploadLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        return link
    link.revoked_at = clock.now()
    link.save(update_fields=["revoked_at", "updated_at"])
    record(
        actor=actor,
        action="docrequest.link_revoked",
        obj=link.request,
        project_id=link.request.project_id,
        changes={"link_id": {"before": None, "after": link.pk}},
    )
    return link


def link_for_token(token: str) -> UploadLink:
    """The link a token opens, if it is still usable; otherwise 404 (unknown token), or 410-like
    ``link_expired`` / ``link_revoked`` conflicts that say what happened."""
    if not token or len(token) > 100:
        raise NotFound()
    link = (
        UploadLink.objects.select_related(
            "organization", "request", "request__project", "request__entity"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        raise NotFound()
    if link.revoked_at is not None:
        raise Conflict(_("This upload link was withdrawn by the agency."), code="link_revoked")
    if link.expires_at <= clock.now():
        raise Conflict(_("This upload link has expired."), code="link_expired")
    if link.request.status != RequestStatus.OPEN:
        raise Conflict(
            _("This document request is %(status)s; the link no longer takes uploads.")
            % {"status": link.request.get_status_display()},
            code="request_closed",
        )
    return link


def link_actor(link: UploadLink, *, ip: str | None) -> Actor:
    """Who acts through a link: the request's client, without an account."""
    return Actor(
        user=None,
        organization=link.organization,
        role="client",
        entity_id=link.request.entity_id,
        ip=ip,
        via="link",
    )


@transaction.atomic
def use_link(*, link: UploadLink, ip: str | None, what: str) -> None:
    """Count and audit one use of a link (``what``: "opened" or "uploaded")."""
    now = clock.now()
    UploadLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=now)
    record(
        actor=link_actor(link, ip=ip),
        action="docrequest.link_used",
        obj=link.request,
        project_id=link.request.project_id,
        changes={
            "link_id": {"before": None, "after": link.pk},
            "use": {"before": None, "after": what},
        },
    )


def link_url(token: str) -> str:
    return f"{settings.LINKSTAR_BASE_URL.rstrip('/')}/r/{token}/"
