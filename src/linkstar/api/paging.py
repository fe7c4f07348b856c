from __future__ import annotations

from ninja import Schema
from pydantic import Field


class Paging(Schema):
    limit: int = Field(50, ge=1, le=500, description="Page size (default 50, max 500).")
    offset: int = Field(0, ge=0)
