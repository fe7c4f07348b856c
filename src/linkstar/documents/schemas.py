from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import field_validator


class DocumentUploadIn(Schema):
    """The form fields sent with the file (multipart/form-data)."""

    document_type: str
    issue_date: dt.date | None = None
    expiry_date: dt.date | None = None
    notes: str = ""
    person_name: str = ""
    confirm_expiry: bool = False

    @field_validator("issue_date", "expiry_date", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value == "" else value


class DocumentOut(Schema):
    id: int
    entity_id: int
    entity_name: str
    document_type: str
    document_type_name: str
    person_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    issue_date: dt.date | None
    expiry_date: dt.date | None
    notes: str
    status: str  # valid, expiring, expired
    days_left: int | None
    is_current: bool
    version_number: int
    supersedes_id: int | None
    uploaded_by_id: int | None
    uploaded_at: dt.datetime
    download_url: str


class DocumentVersionOut(Schema):
    id: int
    version_number: int
    is_current: bool
    original_name: str
    size: int
    sha256: str
    issue_date: dt.date | None
    expiry_date: dt.date | None
    status: str
    uploaded_by_id: int | None
    uploaded_at: dt.datetime
    download_url: str


class DocumentUseOut(Schema):
    attachment_id: int
    document_id: int
    version_number: int
    task_id: int
    project_id: int
    project_code: str
    store_name: str
    attached_at: dt.datetime


class DocumentDetailOut(DocumentOut):
    versions: list[DocumentVersionOut]
    used_in: list[DocumentUseOut]


class DocumentList(Schema):
    items: list[DocumentOut]
    count: int


class AttachmentIn(Schema):
    document_id: int


class AttachmentOut(Schema):
    id: int
    task_id: int
    document_id: int
    document: DocumentOut
    attached_by_id: int | None
    attached_at: dt.datetime


class AttachmentList(Schema):
    items: list[AttachmentOut]
    count: int
