"""The NinjaAPI object: token auth, the error format of API.md, and every app's router."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from linkstar.accounts.api import router as accounts_router
from linkstar.api.auth import BearerToken
from linkstar.api.errors import error_response
from linkstar.api.idempotency import idempotent
from linkstar.approvals.api import router as approvals_router
from linkstar.audit.api import router as audit_router
from linkstar.catalog.api import router as catalog_router
from linkstar.core.exceptions import DomainError, InvalidInput
from linkstar.core.text import clean_strings
from linkstar.core.web import MAX_DB_INT
from linkstar.documents.api import router as documents_router
from linkstar.entities.api import router as entities_router
from linkstar.playbooks.api import router as playbooks_router
from linkstar.projects.api import router as projects_router


def _too_large_number(value, path: tuple = ()) -> str | None:
    """The dotted path of the first integer in ``value`` the database cannot hold, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ".".join(map(str, path)) or "body" if abs(value) > MAX_DB_INT else None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _too_large_number(item, (*path, key))
        if found:
            return found
    return None


class ObjectBodyParser(Parser):
    """Every body of the API is a JSON object: an array or a bare value is refused (422), never
    read as an empty change; an integer of 2^63 or more anywhere in it (an id, a list of ids) is
    refused (422 naming it), never a database overflow. Its strings lose their control
    characters (``core.text``)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise TypeError("the body is not a JSON object")
        request._linkstar_too_large = _too_large_number(data)
        if request._linkstar_too_large:
            raise ValueError("a number in the body is too large")
        return clean_strings(data)


api = NinjaAPI(
    title="LinkStar API",
    version="1",
    description="LinkStar 联星出海 — store-opening projects, tasks, approvals and audit. "
    "Authenticate with `Authorization: Bearer <token>` (POST /auth/token).",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=ObjectBodyParser(),
)
# Idempotency-Key on every POST: a retry answers the first response (see api/idempotency.py).
api.add_decorator(idempotent, mode="view")


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    errors = [e.as_dict() for e in exc.errors] if isinstance(exc, InvalidInput) else None
    return error_response(request, exc.status, exc.detail, exc.code, errors)


def _field_error(item: dict) -> dict:
    loc = [
        p
        for p in item.get("loc", ())
        if p not in ("body", "query", "path", "payload", "filters", "form")
    ]
    out = {"field": ".".join(str(p) for p in loc) or "body", "message": item.get("msg", "invalid")}
    if len(loc) >= 2 and loc[0] == "rows" and isinstance(loc[1], int):
        out["row"] = loc[1]
    return out


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    errors = [_field_error(e) for e in exc.errors]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return error_response(request, 422, f"{first['field']}: {first['message']}", "invalid", errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return error_response(
        request, 401, _("Authentication required: send a valid API token."), "unauthenticated"
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # Ninja raises 400 for a body that is not JSON, or not a JSON object (``ObjectBodyParser``):
    # invalid input, answered as API.md says.
    if exc.status_code == 400 and getattr(request, "_linkstar_too_large", None):
        field = request._linkstar_too_large
        errors = [{"field": field, "message": _("The number is too large.")}]
        detail = _("%(name)s: the number is too large.") % {"name": field}
        return error_response(request, 422, detail, "invalid", errors)
    if exc.status_code == 400:
        message = _("The body must be a JSON object with the fields: {…}.")
        errors = [{"field": "body", "message": message}]
        return error_response(request, 422, f"body: {message}", "invalid", errors)
    return error_response(request, exc.status_code, str(exc), f"http_{exc.status_code}")


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    return error_response(
        request,
        413,
        _("The request is too large (at most %(mb)d MB).")
        % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024) or 1},
        "too_large",
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, _("Not found."), "not_found")


def _mount() -> None:
    api.add_router("", accounts_router)
    api.add_router("", catalog_router)
    api.add_router("", entities_router)
    api.add_router("", "linkstar.entities.api.vault")
    api.add_router("", documents_router)
    api.add_router("", playbooks_router)
    api.add_router("", projects_router)
    api.add_router("", "linkstar.projects.upgrade_api.router")
    api.add_router("", "linkstar.accounts.calendar_api.router")
    api.add_router("", approvals_router)
    api.add_router("", audit_router)
    api.add_router("", "linkstar.compliance.api.router")
    api.add_router("", "linkstar.notifications.api.router")
    api.add_router("", "linkstar.delivery.api.router")
    api.add_router("", "linkstar.platformmail.api.router")
    api.add_router("", "linkstar.exchange.api.router")
    api.add_router("", "linkstar.archives.api.router")
    api.add_router("", "linkstar.docrequests.api.router")
    api.add_router("", "linkstar.reports.api.router")


_mount()
