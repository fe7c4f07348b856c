"""Document requests (补料请求) in the API: ask, answer (multipart uploads), review, links."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from linkstar.accounts.web import actor_for
from linkstar.core import clock, policy
from linkstar.core.api import ERRORS, Paging, page
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.docrequests import selectors, services, suggestions
from linkstar.docrequests.models import RequestStatus
from linkstar.docrequests.schemas import (
    CancelIn,
    LinkIn,
    LinkList,
    NewLinkOut,
    RequestIn,
    RequestList,
    RequestOut,
    ReviewIn,
    SuggestionList,
    UploadFieldsIn,
    UploadOut,
)
from linkstar.documents.downloads import file_response
from linkstar.projects import visibility

router = Router(tags=["document requests"])


class RequestFilters(Schema):
    status: RequestStatus | None = None
    project: int | None = None
    overdue: bool = False


def upload_out(upload, *, org: str, request_id: int) -> dict:
    return {
        "id": upload.pk,
        "status": upload.status,
        "original_name": upload.original_name,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "issue_date": upload.issue_date,
        "expiry_date": upload.expiry_date,
        "uploaded_by_id": upload.uploaded_by_id,
        "via_link": upload.link_id is not None,
        "uploaded_at": upload.created_at,
        "reason": upload.reason,
        "reviewed_by_id": upload.reviewed_by_id,
        "reviewed_at": upload.reviewed_at,
        "document_id": upload.document_id,
        "download_url": reverse(
            "api:docrequest_upload_file",
            kwargs={"org": org, "request_id": request_id, "upload_id": upload.pk},
        ),
    }


def request_out(r, *, org: str, today) -> dict:
    return {
        "id": r.pk,
        "project_id": r.project_id,
        "project_code": r.project.code,
        "store_name": r.project.store_name,
        "entity_id": r.entity_id,
        "message": r.message,
        "due_date": r.due_date,
        "overdue": selectors.is_overdue(r, today),
        "status": r.status,
        "status_name": r.get_status_display(),
        "requested_by_id": r.requested_by_id,
        "created_at": r.created_at,
        "closed_at": r.closed_at,
        "version": r.version,
        "items": [
            {
                "id": i.pk,
                "document_type": i.document_type.code,
                "document_type_name": i.document_type.display_name,
                "note": i.note,
                "status": i.status,
                "status_name": i.get_status_display(),
                "reason": i.reason,
                "document_id": i.document_id,
                "uploads": [upload_out(u, org=org, request_id=r.pk) for u in i.upload_list],
            }
            for i in r.item_list
        ],
    }


def link_out(link) -> dict:
    return {
        "id": link.pk,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "created_by_id": link.created_by_id,
        "last_used_at": link.last_used_at,
        "uses": link.uses,
        "active": link.revoked_at is None and link.expires_at > clock.now(),
    }


def _answer(actor, request_id: int, org: str) -> dict:
    found = selectors.request_get(actor=actor, request_id=request_id)
    return request_out(found, org=org, today=clock.org_today(actor.organization))


@router.get("/orgs/{org}/document-requests", response={200: RequestList, **ERRORS})
def request_list(request, org: str, filters: Query[RequestFilters], paging: Query[Paging]):
    """The document requests the caller may see (a client: its own entity's), open ones first,
    the most urgent first; ``?overdue=true``: open requests past their due date."""
    actor = actor_for(request, org)
    today = clock.org_today(actor.organization)
    qs = selectors.request_list(
        actor=actor,
        status=filters.status or "",
        project_id=filters.project,
        overdue=filters.overdue,
    )
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda rs: [request_out(r, org=org, today=today) for r in rs],
    )


@router.post("/orgs/{org}/document-requests", response={201: RequestOut, **ERRORS})
def request_create(request, org: str, payload: RequestIn):
    """Ask the client of the project's seller entity for documents (the project's team, its
    manager, admins). The client is told in the app, by mail and in the organization's chat."""
    actor = actor_for(request, org)
    project = policy.get_visible(visibility.visible_projects(actor), pk=payload.project_id)
    created = services.open_request(
        actor=actor,
        project=project,
        items=[i.dict() for i in payload.items],
        due_date=payload.due_date,
        message=payload.message,
    )
    return Status(201, _answer(actor, created.pk, org))


@router.get(
    "/orgs/{org}/projects/{project_id}/document-requests/suggested",
    response={200: SuggestionList, **ERRORS},
)
def request_suggestions(request, org: str, project_id: int):
    """What a new request on this project would ask for: the readiness gate's gaps (missing,
    expired, expiring before the submission); ``prefill`` says whether the page starts from
    them (the project is in 需补料 or has gaps)."""
    actor = actor_for(request, org)
    project = policy.get_visible(visibility.visible_projects(actor), pk=project_id)
    items = suggestions.suggested_items(project)
    return {"project_id": project.pk, "prefill": bool(items), "items": items}


@router.get("/orgs/{org}/document-requests/{request_id}", response={200: RequestOut, **ERRORS})
def request_detail(request, org: str, request_id: int):
    return _answer(actor_for(request, org), request_id, org)


@router.post(
    "/orgs/{org}/document-requests/{request_id}/cancel", response={200: RequestOut, **ERRORS}
)
def request_cancel(request, org: str, request_id: int, payload: CancelIn):
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    services.cancel_request(actor=actor, request=found, reason=payload.reason)
    return _answer(actor, request_id, org)


@router.post(
    "/orgs/{org}/document-requests/{request_id}/items/{item_id}/uploads",
    response={201: UploadOut, **ERRORS},
)
def item_upload(
    request,
    org: str,
    request_id: int,
    item_id: int,
    fields: Form[UploadFieldsIn],
    file: File[UploadedFile] = None,
):
    """Upload a file for one requested document (multipart/form-data: ``file``, optional
    ``issue_date`` and ``expiry_date``); the vault's upload checks apply. It waits for the team's
    review; an upload still waiting is replaced."""
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    item = selectors.item_of(found, item_id)
    if file is None:
        raise InvalidInput(FieldError("file", _("Choose a file to upload.")))
    upload = services.upload_to_item(
        actor=actor,
        item=item,
        file=file,
        issue_date=fields.issue_date,
        expiry_date=fields.expiry_date,
    )
    return Status(201, upload_out(upload, org=org, request_id=found.pk))


@router.get(
    "/orgs/{org}/document-requests/{request_id}/uploads/{upload_id}/file",
    url_name="docrequest_upload_file",
    response={**ERRORS},
)
def upload_file(request, org: str, request_id: int, upload_id: int):
    """The uploaded file, as an attachment."""
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    return file_response(selectors.upload_of(found, upload_id))


@router.post(
    "/orgs/{org}/document-requests/{request_id}/uploads/{upload_id}/review",
    response={200: RequestOut, **ERRORS},
)
def upload_review(request, org: str, request_id: int, upload_id: int, payload: ReviewIn):
    """``accept``: the file becomes the seller entity's current vault version (409
    ``expiry_confirmation_needed`` as for a vault upload, then ``confirm_expiry``); ``reject``:
    back to the client with the ``reason``."""
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    services.review_upload(
        actor=actor,
        upload=selectors.upload_of(found, upload_id),
        decision=payload.decision,
        reason=payload.reason,
        confirm_expiry=payload.confirm_expiry,
    )
    return _answer(actor, request_id, org)


@router.get("/orgs/{org}/document-requests/{request_id}/links", response={200: LinkList, **ERRORS})
def link_list(request, org: str, request_id: int):
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    policy.require(actor, "docrequest.manage", found.project)
    links = selectors.links_of(found)
    return {"items": [link_out(link) for link in links], "count": len(links)}


@router.post(
    "/orgs/{org}/document-requests/{request_id}/links", response={201: NewLinkOut, **ERRORS}
)
def link_create(request, org: str, request_id: int, payload: LinkIn):
    """An upload link for a client without an account (``days``: 1–60, default 14). The token
    is in this answer only; LinkStar keeps its hash."""
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    link, token = services.create_link(actor=actor, request=found, days=payload.days)
    return Status(201, {**link_out(link), "url": services.link_url(token), "token": token})


@router.delete(
    "/orgs/{org}/document-requests/{request_id}/links/{link_id}",
    response={204: None, **ERRORS},
)
def link_revoke(request, org: str, request_id: int, link_id: int):
    actor = actor_for(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    link = policy.get_visible(found.links.all(), pk=link_id)
    services.revoke_link(actor=actor, link=link)  # the manager's rule is the service's
    return Status(204, None)
