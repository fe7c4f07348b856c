from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema

from linkstar.core.api import ranged
from linkstar.docrequests.services import LINK_DAYS_MAX


class UploadOut(Schema):
    id: int
    status: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    issue_date: dt.date | None
    expiry_date: dt.date | None
    uploaded_by_id: int | None
    via_link: bool
    uploaded_at: dt.datetime
    reason: str
    reviewed_by_id: int | None
    reviewed_at: dt.datetime | None
    document_id: int | None
    download_url: str


class ItemOut(Schema):
    id: int
    document_type: str
    document_type_name: str
    note: str
    status: str
    status_name: str
    reason: str
    document_id: int | None
    uploads: list[UploadOut]


class RequestOut(Schema):
    id: int
    project_id: int
    project_code: str
    store_name: str
    entity_id: int
    message: str
    due_date: dt.date
    overdue: bool
    status: str
    status_name: str
    requested_by_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    items: list[ItemOut]
    version: int


class RequestList(Schema):
    items: list[RequestOut]
    count: int


class ItemIn(Schema):
    document_type: str
    note: str = ""


class RequestIn(Schema):
    project_id: int
    due_date: dt.date | None = None
    message: str = ""
    items: list[ItemIn]


class CancelIn(Schema):
    reason: str = ""


class ReviewIn(Schema):
    decision: Literal["accept", "reject"]
    reason: str = ""
    confirm_expiry: bool = False


class UploadFieldsIn(Schema):
    issue_date: dt.date | None = None
    expiry_date: dt.date | None = None


class LinkIn(Schema):
    days: int | None = ranged(None, minimum=1, maximum=LINK_DAYS_MAX)


class LinkOut(Schema):
    id: int
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    created_by_id: int | None
    last_used_at: dt.datetime | None
    uses: int
    active: bool


class NewLinkOut(LinkOut):
    url: str
    token: str


class LinkList(Schema):
    items: list[LinkOut]
    count: int


class SuggestionOut(Schema):
    document_type: str
    name: str
    status: str


class SuggestionList(Schema):
    project_id: int
    prefill: bool
    items: list[SuggestionOut]
