from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from linkstar.accounts.models import ApiToken, Membership, Role
from linkstar.core.api import bounded


class TokenIn(Schema):
    email: str
    password: str
    name: str | None = Field(None, description="A label for the token, e.g. the script using it.")
    otp: str | None = Field(
        None,
        max_length=64,
        description="For an account with two-factor sign-in: the 6-digit code of the "
        "authenticator, or an unused recovery code (spent by this request).",
    )


class TokenOut(Schema):
    token: str


class MembershipBrief(Schema):
    org: str
    role: str


class MeOut(Schema):
    id: int
    email: str
    name: str
    memberships: list[MembershipBrief]


class OrgOut(Schema):
    slug: str
    name: str
    role: str


class OrgList(Schema):
    items: list[OrgOut]
    count: int


class MemberOut(Schema):
    user_id: int
    email: str
    name: str
    role: str
    is_owner: bool = False
    entity_id: int | None = None


class MemberList(Schema):
    items: list[MemberOut]
    count: int


class MemberIn(Schema):
    email: str
    role: str = bounded(Membership, "role")
    name: str | None = None
    password: str | None = None
    entity_id: int | None = Field(None, description="For the client role: its seller entity.")


class MemberPatch(Schema):
    role: str = bounded(Membership, "role")
    entity_id: int | None = None


class ApiTokenIn(Schema):
    name: str = bounded(
        ApiToken, "name", ..., description="What uses the token, e.g. the ERP sync script."
    )
    scope: str = bounded(
        ApiToken, "scope", "read_write", description="`read` (GET only) or `read_write`."
    )
    expires_on: dt.date | None = Field(
        None, description="Usable through this day (organization time); none: no expiry."
    )


class OrgApiTokenIn(ApiTokenIn):
    role: str = bounded(
        Membership,
        "role",
        ...,
        description="The role the token acts with (any but client).",
        json_schema_extra={"enum": [r for r in Role.values if r != Role.CLIENT]},
    )


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    kind: str = Field(..., description="`personal` or `organization`.")
    role: str | None = None
    acts_as: str = Field(..., description="The user the token acts as (the audit names it).")
    created_at: dt.datetime
    created_by: str | None = None
    last_used_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    active: bool


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(..., description="The raw token: shown this once, stored hashed.")


class ApiTokenList(Schema):
    items: list[ApiTokenOut]
    count: int


class CalendarDayIO(Schema):
    date: str = Field(..., description="YYYY-MM-DD")
    kind: str = Field(..., description="`holiday` (not worked) or `workday` (make-up working day)")
    name: str = ""


class WorkCalendarIn(Schema):
    weekdays: list[int] | None = Field(
        None, description="working weekdays, 0 (Monday) to 6 (Sunday); at least one"
    )
    use_cn_holidays: bool | None = Field(
        None, description="China's public holidays and make-up working days (shipped) count"
    )
    exceptions: list[CalendarDayIO] | None = Field(
        None, description="the organization's own dated days (replaces the list); they win"
    )
    version: int | None = None


class ShippedSourceOut(Schema):
    year: int
    title: str
    published: str
    url: str


class ShippedHolidaysOut(Schema):
    name: str
    years: list[int]
    sources: list[ShippedSourceOut]


class WorkCalendarOut(Schema):
    weekdays: list[int]
    use_cn_holidays: bool
    exceptions: list[CalendarDayIO]
    version: int
    shipped: ShippedHolidaysOut
