from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from linkstar.core.api import bounded
from linkstar.delivery.models import Channel


class ChannelIn(Schema):
    kind: str = bounded(
        Channel, "kind", description="wecom, dingtalk, feishu, webhook or integration"
    )
    name: str = bounded(Channel, "name")
    url: str = Field(description="the robot's webhook URL or the endpoint (stored encrypted)")
    secret: str = Field(
        "",
        description="DingTalk/Feishu signing secret, or the HMAC key of a webhook (stored "
        "encrypted, never shown back in full)",
    )
    events: list[str] = Field(
        default_factory=list,
        description="event kinds the channel takes; empty = every event (chat channels only; "
        "an integration lists its events)",
    )
    project_id: int | None = Field(None, description="only this project's events")
    enabled: bool = True
    keywords: list[str] = Field(
        default_factory=list,
        description="the robot's security keywords (DingTalk, Feishu): every message contains them",
    )


class ChannelPatch(Schema):
    name: str | None = bounded(Channel, "name", None)
    url: str | None = Field(None, description="a new URL; left out = unchanged")
    secret: str | None = Field(None, description="a new secret; left out = unchanged")
    events: list[str] | None = None
    project_id: int | None = None
    enabled: bool | None = None
    keywords: list[str] | None = Field(None, description="the robot's security keywords")
    version: int | None = None


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    url_masked: str
    secret_masked: str = Field(description='"" when none is set')
    events: list[str]
    project_id: int | None
    enabled: bool
    keywords: list[str]
    problem: str = Field(
        description='"" or, after the platform refused the robot\'s set-up, what to change in '
        "its security settings"
    )
    created_by: int | None
    created_at: dt.datetime
    version: int


class ChannelList(Schema):
    items: list[ChannelOut]
    count: int


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    kind: str = Field(description="wecom, dingtalk, feishu, webhook, integration or email")
    channel_id: int | None
    channel_name: str | None
    recipient_id: int | None
    target: str
    summary: str
    event_id: int | None
    state: str = Field(description="pending, sending, sent, failed (will retry) or dead")
    attempts: int
    max_attempts: int
    created_at: dt.datetime
    not_before: dt.datetime | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    attempt_log: list[AttemptOut]


class DeliveryList(Schema):
    items: list[DeliveryOut]
    count: int


class DeliveryFilters(Schema):
    channel: int | None = None
    state: str | None = Field(None, description="pending, sending, sent, failed or dead")
    kind: str | None = None
    event: int | None = None
