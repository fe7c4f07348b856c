"""What every API router shares: the error body of API.md, paging, a page of results."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorItem(Schema):
    field: str
    message: str
    row: int | None = None


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[ErrorItem] | None = None


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class Paging(Schema):
    limit: int = Field(50, ge=1, le=500, description="Page size (default 50, max 500).")
    offset: int = Field(0, ge=0)


def page(items, *, limit: int, offset: int, serialize) -> dict[str, Any]:
    """``{"items": [...], "count": N}`` for a queryset or list, ``limit``/``offset`` applied."""
    if isinstance(items, list):
        count = len(items)
        chunk = items[offset : offset + limit]
    else:
        count = items.count()
        chunk = list(items[offset : offset + limit])
    return {"items": serialize(chunk), "count": count}
