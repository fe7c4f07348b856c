from __future__ import annotations

from ninja import Schema


class SiteOut(Schema):
    code: str
    name: str
    name_en: str
    country: str
    currency: str
    language: str
    rules: dict
    review_days: int


class PlatformOut(Schema):
    code: str
    name: str
    name_en: str
    sites: list[SiteOut]


class PlatformList(Schema):
    items: list[PlatformOut]
    count: int


class TemplateBrief(Schema):
    id: int
    key: str
    name: str
    name_en: str
    latest_version: int | None


class SiteDetail(SiteOut):
    platform: str
    templates: list[TemplateBrief]


class DocumentTypeOut(Schema):
    code: str
    name: str
    name_en: str
    description: str


class DocumentTypeList(Schema):
    items: list[DocumentTypeOut]
    count: int
