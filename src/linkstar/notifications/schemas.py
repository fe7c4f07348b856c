from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class NotificationOut(Schema):
    id: int
    org: str
    kind: str
    kind_label: str
    title: str
    body: str
    lines: list[str]
    link: str
    url: str
    project_id: int | None
    task_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(Schema):
    items: list[NotificationOut]
    count: int
    unread: int


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="ids of the caller's notifications")
    all: bool = Field(False, description="mark every unread notification read")
    org: str | None = Field(None, description="with all: only this organization's")


class MarkReadOut(Schema):
    marked: int
    unread: int


class PreferencesIO(Schema):
    email_kinds: list[str] | None = Field(None, description="event kinds sent by mail")
    chat_kinds: list[str] | None = Field(
        None, description="event kinds on which chat robots @-mention the caller"
    )
    digest: bool | None = Field(None, description="a daily digest mail instead of instant mail")
    quiet_start: str | None = Field(None, description="HH:MM in the organization's time zone")
    quiet_end: str | None = Field(
        None, description="HH:MM; mail waits until then, chat robots do not @-mention me before"
    )
    coalesce_mail: bool | None = Field(
        None,
        description="instant mails of one kind within LINKSTAR_MAIL_COALESCE_MINUTES as one "
        "mail (null in answers: as the organization decides)",
    )


class PreferencesOut(Schema):
    email_kinds: list[str]
    chat_kinds: list[str]
    digest: bool
    quiet_start: str | None
    quiet_end: str | None
    coalesce_mail: bool | None = None
    in_app: bool = True
    kinds: list[dict]


class OrgSettingsIn(Schema):
    due_soon_days: list[int] | None = Field(
        None, description="days before the due date a reminder goes out; 0 is the due day"
    )
    stalled_days: int | None = Field(None, description="days without activity before stalled")
    reminder_time: str | None = Field(
        None, description="HH:MM in the organization's time zone: reminders go out from then"
    )
    coalesce_mail: bool | None = Field(
        None, description="members' instant mails of one kind close together as one mail"
    )


class OrgSettingsOut(Schema):
    due_soon_days: list[int]
    stalled_days: int
    reminder_time: str
    coalesce_mail: bool
