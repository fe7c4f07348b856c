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


class RiskIdentifierOut(Schema):
    kind: str
    kind_label: str
    masked: str


class RiskOut(Schema):
    id: int
    project_id: int
    project_code: str
    other_project_id: int | None = Field(description="null when the caller may not see it")
    other_project: ProjectBrief | None
    basis: str = Field(description="shared_identifiers or second_account")
    basis_label: str
    identifiers: list[RiskIdentifierOut] = Field(description="every identifier the pair shares")
    kind: str = Field(description="the first shared identifier's kind (entity: none, same entity)")
    kind_label: str
    masked: str
    status: str = Field(description="open, acknowledged or closed")
    close_reason: str = Field(description='why a closed risk no longer holds, or ""')
    acknowledged_by: int | None
    acknowledged_at: dt.datetime | None
    reason: str
    created_at: dt.datetime


class RiskAcknowledgeIn(Schema):
    risk_ids: list[int] = Field(description="the risks to accept (at most 500)")
    reason: str = Field(description="one business reason for all (required, ≤ 2000 characters)")


class RiskAcknowledgedOut(Schema):
    items: list[RiskOut]
    count: int


class RiskList(Schema):
    items: list[RiskOut]
    count: int


class EnvironmentIn(Schema):
    registration_email: str | None = Field(None, description='"" clears; absent keeps')
    registration_phone: str | None = None
    ip_address: str | None = Field(None, description="the IP address or proxy used to register")
    device_profile: str | None = Field(None, description="the device or browser profile used")


class EnvironmentItemOut(Schema):
    field: str
    kind: str
    kind_label: str
    masked: str


class EnvironmentOut(Schema):
    project_id: int
    items: list[EnvironmentItemOut]
