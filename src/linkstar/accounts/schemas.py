from __future__ import annotations

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    email: str
    password: str
    name: str | None = Field(None, description="A label for the token, e.g. the script using it.")


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
    role: str
    name: str | None = None
    password: str | None = None
    entity_id: int | None = Field(None, description="For the client role: its seller entity.")


class MemberPatch(Schema):
    role: str
    entity_id: int | None = None
