from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema


class DecisionOut(Schema):
    level: int
    decided_by: int | None
    decision: str
    comment: str
    at: dt.datetime


class ApprovalOut(Schema):
    id: int
    task_id: int
    project_id: int
    status: str
    levels: int
    current_level: int
    requested_by: int | None
    created_at: dt.datetime
    decisions: list[DecisionOut]


class ApprovalList(Schema):
    items: list[ApprovalOut]
    count: int


class WithdrawIn(Schema):
    reason: str = ""


class DecideIn(Schema):
    decision: Literal["approve", "reject"]
    comment: str = ""
