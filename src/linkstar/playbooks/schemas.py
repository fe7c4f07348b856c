from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from linkstar.core.api import bounded, ranged
from linkstar.playbooks.models import TaskBlueprint, Template

Phase = Literal["documents", "registration", "review", "launch"]


class BlueprintIn(Schema):
    key: str = bounded(TaskBlueprint, "key")
    title: str = bounded(TaskBlueprint, "title")
    title_en: str | None = bounded(TaskBlueprint, "title_en", None)
    description: str | None = None
    description_en: str | None = None
    phase: str = bounded(
        TaskBlueprint, "phase", description="documents | registration | review | launch"
    )
    offset_days: int = ranged(0, minimum=0)
    duration_days: int = ranged(1, minimum=0)
    depends_on: list[str] = []
    role: str | None = bounded(TaskBlueprint, "role", None)
    document_types: list[str] = []
    approval_levels: int = 0
    checklist: list[str] = []
    checklist_en: list[str] = Field(
        [], description="the checklist in English, item for item (empty: Chinese only)"
    )
    sets_stage: str | None = bounded(TaskBlueprint, "sets_stage", None)


class BlueprintOut(Schema):
    key: str
    title: str
    title_en: str
    description: str
    description_en: str
    phase: str
    offset_days: int
    duration_days: int
    depends_on: list[str]
    role: str | None
    document_types: list[str]
    approval_levels: int
    checklist: list[str]
    checklist_en: list[str]
    sets_stage: str | None


class TemplateIn(Schema):
    name: str = bounded(Template, "name")
    site: str | None = None
    clone_from: int | None = Field(
        None, description="id of a template to copy the latest version of"
    )


class TemplateOut(Schema):
    id: int
    name: str
    name_en: str
    site: str
    sites: list[str]
    builtin: bool
    latest_version: int | None
    published_version: int | None
    cloned_from: int | None


class TemplateList(Schema):
    items: list[TemplateOut]
    count: int


class VersionBrief(Schema):
    number: int
    status: str
    published_at: str | None


class Source(Schema):
    title: str
    url: str | None = None


class TemplateDetail(TemplateOut):
    description: str
    description_en: str
    reviewed_on: str | None = Field(None, description="when its facts were last checked")
    sources: list[Source]
    versions: list[VersionBrief]


class VersionOut(Schema):
    template_id: int
    number: int
    status: str
    version: int
    published_at: str | None
    tasks: list[BlueprintOut]


class VersionPut(Schema):
    tasks: list[BlueprintIn]
    version: int | None = Field(None, description="the draft's version, for optimistic locking")
