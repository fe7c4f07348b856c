"""What the API answers about audit events."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    changes: dict
