from __future__ import annotations

import datetime as dt

from ninja import Schema

from linkstar.core.api import bounded
from linkstar.platformmail.models import MailAccount


class MailAttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    document_id: int | None
    refused_reason: str


class StageProposalOut(Schema):
    id: int
    project_id: int
    message_id: int
    from_stage: str
    stage: str
    phrase: str
    sentence: str = ""
    confidence: int | None = None
    status: str
    decided_by: int | None
    decided_at: dt.datetime | None
    reason: str
    created_at: dt.datetime


class MailSignalOut(Schema):
    stage: str
    sentence: str
    confidence: int | None


class MailOut(Schema):
    id: int
    project_id: int | None
    project_code: str | None
    source: str
    message_id: str
    sha256: str
    from_address: str
    from_name: str
    to: list[str]
    subject: str
    date: dt.datetime | None
    received_at: dt.datetime
    parse_status: str
    parse_error: str
    matched_by: str
    sender_platform: str
    attachment_count: int
    signal: MailSignalOut | None = None
    may_matter: bool = False


class MailDetailOut(MailOut):
    text_body: str
    html_body: str
    attachments: list[MailAttachmentOut]
    proposals: list[StageProposalOut]


class MailList(Schema):
    items: list[MailOut]
    count: int


class InboundOut(MailDetailOut):
    duplicate: bool


class AssignIn(Schema):
    project_id: int


class ProposalList(Schema):
    items: list[StageProposalOut]
    count: int


class AcceptIn(Schema):
    note: str = ""


class DismissIn(Schema):
    reason: str = ""


class MailboxIn(Schema):
    address: str = ""


class MailboxOut(Schema):
    project_id: int
    project_code: str
    address: str | None
    results_by: str


class MailAccountIn(Schema):
    name: str = bounded(MailAccount, "name")
    host: str = bounded(MailAccount, "host")
    port: int = 993
    security: str = bounded(MailAccount, "security", "ssl")
    username: str = bounded(MailAccount, "username")
    password: str
    folder: str = bounded(MailAccount, "folder", "INBOX")
    enabled: bool = True


class MailAccountPatch(Schema):
    name: str | None = bounded(MailAccount, "name", None)
    host: str | None = bounded(MailAccount, "host", None)
    port: int | None = None
    security: str | None = bounded(MailAccount, "security", None)
    username: str | None = bounded(MailAccount, "username", None)
    password: str | None = None
    folder: str | None = bounded(MailAccount, "folder", None)
    enabled: bool | None = None
    version: int | None = None


class MailAccountOut(Schema):
    id: int
    name: str
    host: str
    port: int
    security: str
    username: str
    password: str  # masked, never the stored value
    folder: str
    enabled: bool
    uid_validity: int | None
    last_uid: int
    last_polled_at: dt.datetime | None
    last_ok_at: dt.datetime | None
    last_error: str
    last_imported: int
    version: int


class MailAccountList(Schema):
    items: list[MailAccountOut]
    count: int
