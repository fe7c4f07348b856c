from __future__ import annotations

from ninja import Schema


class EntityIn(Schema):
    name: str
    name_en: str | None = None
    registration_number: str | None = None
    country: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_number: str | None = None
    notes: str | None = None


class EntityPatch(Schema):
    name: str | None = None
    name_en: str | None = None
    registration_number: str | None = None
    country: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_number: str | None = None
    notes: str | None = None
    version: int | None = None


class EntityOut(Schema):
    id: int
    name: str
    name_en: str
    registration_number: str
    country: str
    legal_rep_name: str
    legal_rep_id_number: str  # masked
    notes: str
    version: int


class EntityList(Schema):
    items: list[EntityOut]
    count: int
