"""Reads of document requests, scoped to what the actor may see: a request is visible with its
project (a client sees the requests of its own entity's projects)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from linkstar.accounts.selectors import entity_clients
from linkstar.catalog.models import DocumentType
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import NotFound
from linkstar.docrequests.models import (
    DocumentRequest,
    ItemStatus,
    RequestItem,
    RequestStatus,
    RequestUpload,
    UploadLink,
)
from linkstar.projects import visibility


def visible_requests(actor: Actor) -> QuerySet[DocumentRequest]:
    return DocumentRequest.objects.filter(
        organization_id=actor.organization.pk,
        project__in=visibility.visible_projects(actor).values("pk"),
    )


def _with_items(qs: QuerySet) -> QuerySet:
    return qs.select_related("project", "project__site", "entity", "requested_by").prefetch_related(
        Prefetch(
            "items",
            queryset=RequestItem.objects.select_related("document_type").prefetch_related(
                Prefetch(
                    "uploads",
                    queryset=RequestUpload.objects.select_related("uploaded_by", "reviewed_by"),
                    to_attr="upload_list",
                )
            ),
            to_attr="item_list",
        )
    )


def request_list(
    *,
    actor: Actor,
    status: str = "",
    project_id: int | None = None,
    overdue: bool = False,
) -> QuerySet[DocumentRequest]:
    qs = visible_requests(actor)
    if status:
        qs = qs.filter(status=status)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if overdue:
        today = org_today(actor.organization)
        qs = qs.filter(status=RequestStatus.OPEN, due_date__lt=today)
    qs = qs.annotate(
        item_count=Count("items", distinct=True),
        accepted_count=Count("items", filter=Q(items__status=ItemStatus.ACCEPTED), distinct=True),
        review_count=Count("items", filter=Q(items__status=ItemStatus.SUBMITTED), distinct=True),
    )
    open_first = Case(When(status=RequestStatus.OPEN, then=Value(0)), default=Value(1))
    # open ones first, the most urgent first; then the latest closed
    return _with_items(qs).order_by(open_first, "due_date", "-id")


def needing_attention(*, actor: Actor, today: dt.date) -> list[DocumentRequest]:
    """Open requests past their due date or with uploads waiting for review: the ones with
    uploads to review first, then the longest overdue."""
    qs = request_list(actor=actor, status=RequestStatus.OPEN).filter(
        Q(due_date__lt=today) | Q(review_count__gt=0)
    )
    return sorted(qs, key=lambda r: (r.review_count == 0, r.due_date, r.pk))


def request_get(*, actor: Actor, request_id) -> DocumentRequest:
    found = _with_items(visible_requests(actor)).filter(pk=request_id).first()
    if found is None:
        raise NotFound()
    return found


def item_of(request: DocumentRequest, item_id) -> RequestItem:
    for item in request.item_list:
        if str(item.pk) == str(item_id):
            return item
    raise NotFound()


def upload_of(request: DocumentRequest, upload_id) -> RequestUpload:
    for item in request.item_list:
        for upload in item.upload_list:
            if str(upload.pk) == str(upload_id):
                return upload
    raise NotFound()


def links_of(request: DocumentRequest) -> list[UploadLink]:
    return list(request.links.select_related("created_by").order_by("-created_at", "-id"))


def clients_of(project) -> list:
    """The client members of the project's seller entity (who a request reaches)."""
    clients = entity_clients(organization_id=project.organization_id, entity_id=project.entity_id)
    return [m.user for m in clients.select_related("user")]


def document_types() -> list[DocumentType]:
    return list(DocumentType.objects.order_by("position", "code"))


def is_overdue(request: DocumentRequest, today: dt.date) -> bool:
    return request.status == RequestStatus.OPEN and request.due_date < today


def marked(requests, today: dt.date) -> list[DocumentRequest]:
    """The requests as a list, each with ``overdue`` set for the pages."""
    requests = list(requests)
    for r in requests:
        r.overdue = is_overdue(r, today)
    return requests
