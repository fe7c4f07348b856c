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


def bounded(model, name: str, default: Any = ..., **kwargs) -> Any:
    """A schema field carrying the business rules of the model field ``name`` into the OpenAPI
    document: its ``max_length`` as ``maxLength`` and its choices as an ``enum``, so that a
    generated client sends only what the server accepts. The service keeps checking them, in
    the reader's language and naming every wrong field at once (a body refused by the schema
    would name only the first ones)."""
    field = model._meta.get_field(name)
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    if field.choices and "enum" not in extra:
        extra["enum"] = [value for value, _label in field.flatchoices]
    if "enum" in extra and default is None:  # an optional field may also be null
        extra["enum"] = [*extra["enum"], None]
    if getattr(field, "max_length", None):
        extra.setdefault("maxLength", field.max_length)
    return Field(default, json_schema_extra=extra or None, **kwargs)


def ranged(default: Any = ..., *, minimum=None, maximum=None, **kwargs) -> Any:
    """A number field whose range (the service's rule) is in the OpenAPI document."""
    extra = {k: v for k, v in (("minimum", minimum), ("maximum", maximum)) if v is not None}
    return Field(default, json_schema_extra=extra, **kwargs)


def page(items, *, limit: int, offset: int, serialize) -> dict[str, Any]:
    """``{"items": [...], "count": N}`` for a queryset or list, ``limit``/``offset`` applied."""
    if isinstance(items, list):
        count = len(items)
        chunk = items[offset : offset + limit]
    else:
        count = items.count()
        chunk = list(items[offset : offset + limit])
    return {"items": serialize(chunk), "count": count}
