from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from linkstar.projects.schemas import ProjectListFilters


class ArchiveFilters(ProjectListFilters):
    """An archive of every project the project list shows with these filters."""


class ArchiveIn(Schema):
    project_ids: list[int] | None = Field(
        None, description="the projects to archive; or send `filters` instead"
    )
    filters: ArchiveFilters | None = Field(
        None, description="the project list's filters: every project they match (at most 500)"
    )


class ArchiveOut(Schema):
    id: int
    status: str = Field(description="queued, running, done, failed or expired")
    project_ids: list[int]
    filters: dict | None
    processed: int
    total: int
    percent: int
    requested_by: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    file_name: str
    size: int
    sha256: str
    file_count: int
    error: str
    download_url: str | None = Field(description="set once the archive is ready")


class ArchiveList(Schema):
    items: list[ArchiveOut]
    count: int


class CalendarFeedOut(Schema):
    active: bool
    prefix: str | None = None
    created_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    url: str | None = Field(
        None, description="the secret address; only in the answer to the POST that made it"
    )
