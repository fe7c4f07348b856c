from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class ReasonIn(Schema):
    reason: str = Field(description="the documented business reason (required, ≤ 2000 characters)")


class ReadinessItemOut(Schema):
    document_type: str
    name: str
    status: str = Field(description="ok, missing, expired or expiring_before_submission")
    document_id: int | None
    expiry_date: dt.date | None
    expiring_soon: bool = Field(description="ok, but within the expiry warning days")


class OverrideOut(Schema):
    id: int
    project_id: int
    reason: str
    percent: int = Field(description="the readiness when the override was given")
    items: list[dict] = Field(description='the gaps it covers: [{"document_type","status"}]')
    created_by: int | None
    created_by_name: str
    created_at: dt.datetime


class ReadinessOut(Schema):
    project_id: int
    percent: int = Field(description="documents ready / documents needed, 0..100")
    submission_date: dt.date
    items: list[ReadinessItemOut]
    overridden: bool = Field(description="below 100 % but every gap is covered by the override")
    override: OverrideOut | None


class ProjectBrief(Schema):
    id: int
    code: str
    store_name: str
    site: str


class RiskOut(Schema):
    id: int
    project_id: int
    project_code: str
    other_project_id: int | None = Field(description="null when the caller may not see it")
    other_project: ProjectBrief | None
    kind: str = Field(description="the identifier kind on this project's side")
    kind_label: str
    masked: str
    status: str = Field(description="open or acknowledged")
    acknowledged_by: int | None
    acknowledged_at: dt.datetime | None
    reason: str
    created_at: dt.datetime


class RiskList(Schema):
    items: list[RiskOut]
    count: int
