"""The error body of API.md: ``{"detail", "code", "errors"?}`` as JSON."""

from __future__ import annotations

from django.http import HttpResponse
from ninja.renderers import JSONRenderer

_renderer = JSONRenderer()


def error_response(request, status: int, detail: str, code: str, errors: list[dict] | None = None):
    body = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    content = _renderer.render(request, body, response_status=status)
    return HttpResponse(
        content, status=status, content_type=f"{_renderer.media_type}; charset={_renderer.charset}"
    )
