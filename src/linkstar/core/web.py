"""What every web page shares: refused actions shown as a message or as the 403 page, the
page's language, times in the organization's zone, values shown once. Who is acting is
``accounts/web.py``'s to say. Pages call the same services and selectors as the API."""

from __future__ import annotations

import ipaddress
import json
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from linkstar.core.exceptions import DomainError, InvalidInput, NotFound, PermissionDenied


class LoginRequired(Exception):
    pass


def error_text(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput) and exc.errors:
        return "; ".join(
            (f"#{e.row + 1} " if e.row is not None else "") + f"{e.field}: {e.message}"
            for e in exc.errors
        )
    return exc.detail


def _back(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return request.path


def render_in_org_time(request, actor, template: str, context: dict, status: int = 200):
    """Render with times shown in the organization's time zone."""
    with timezone.override(actor.organization.time_zone or "UTC"):
        return render(request, template, {"actor": actor, **context}, status=status)


def forbidden(request, reason: str):
    """The one page a refused person sees (403): it says why, never a stack trace. Views do not
    call it: they ask the policy (``policy.require``) and the middleware below renders this."""
    return render(
        request,
        "core/forbidden.html",
        {"actor": getattr(request, "actor", None), "reason": reason, "back": _back(request)},
        status=403,
    )


class DomainErrorMiddleware:
    """A refused action becomes a message: for HTMX and fetch() calls the text with the error
    status (shown by app.js); a page or a form post the role is refused, the 403 page that says
    why; any other refusal of a form post, a flash message and a redirect back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, LoginRequired):
            return redirect_to_login(request.get_full_path())
        if isinstance(exc, NotFound):
            raise Http404() from exc
        if not isinstance(exc, DomainError) or request.path.startswith("/api/"):
            return None
        text = error_text(exc)
        wants_fragment = getattr(
            request, "htmx", False
        ) or "application/json" in request.headers.get("Accept", "")
        if wants_fragment:
            response = HttpResponse(
                text, status=exc.status, content_type="text/plain; charset=utf-8"
            )
            response["X-LinkStar-Error"] = exc.code
            response["HX-Trigger"] = json.dumps(
                {"linkstar:error": {"message": text, "code": exc.code}}
            )
            return response
        if isinstance(exc, PermissionDenied):
            return forbidden(request, text)
        messages.error(request, text)
        return HttpResponseRedirect(_back(request))


class LanguageMiddleware:
    """Chinese unless the person chose otherwise: the language switch's cookie, then the user's
    saved language, then zh-hans. The browser's Accept-Language is honoured only by the API, whose
    clients set it on purpose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported and request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        if language not in supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", None) if user and user.is_authenticated else None
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def show_once(request, key: str, value) -> None:
    """Keep a value a page must show exactly once (a new token, a secret address) for the page
    that the redirect after the form lands on, so that reloading it does not post the form
    again (Post/Redirect/Get). The value lives in the session only until that page reads it."""
    request.session[f"once:{key}"] = value


def take_once(request, key: str):
    """The value :func:`show_once` kept, removed from the session as it is read."""
    return request.session.pop(f"once:{key}", None)


# --- numbers the database cannot hold -------------------------------------------------------------

MAX_DB_INT = 2**63 - 1
# Query parameters that hold a number the database compares with an id or a count.
INT_PARAMETERS = frozenset(
    {
        "offset",
        "limit",
        "page",
        "project",
        "manager",
        "entity",
        "assignee",
        "channel",
        "actor",
        "template",
        "user",
        "task",
        "level",
        "number",
        "object_id",
    }
)
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def _too_large(value) -> bool:
    text = str(value)
    return bool(_INTEGER.fullmatch(text)) and abs(int(text)) > MAX_DB_INT


class NumberBoundsMiddleware:
    """A number beyond what the database holds (2^63 and more) in an id or paging parameter is
    bad input (422 naming the parameter), in a path an object that cannot exist (404) — never a
    server error from the database driver."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in INT_PARAMETERS.intersection(request.GET):
            if any(_too_large(v) for v in request.GET.getlist(name)):
                return _number_refused(request, name)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if any(_too_large(v) for v in [*view_args, *view_kwargs.values()] if v is not None):
            if request.path.startswith("/api/"):
                return _json_error(404, str(NotFound.default_detail), "not_found")
            raise Http404()
        return None


def _number_refused(request, name: str) -> HttpResponse:
    message = translation.gettext("%(name)s: the number is too large.") % {"name": name}
    if request.path.startswith("/api/"):
        errors = [{"field": name, "message": translation.gettext("The number is too large.")}]
        return _json_error(422, message, "invalid", errors)
    return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")


def _json_error(status: int, detail: str, code: str, errors: list | None = None) -> HttpResponse:
    """An API refusal made before the API is reached, in the API's error format."""
    body = {"detail": detail, "code": code, **({"errors": errors} if errors else {})}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


class RequestSizeMiddleware:
    """A request that says it is larger than ``LINKSTAR_REQUEST_MAX_BYTES`` is refused before a
    byte of it is read (413; JSON for the API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LINKSTAR_REQUEST_MAX_BYTES
        if length > limit:
            message = translation.gettext("The request is too large (at most %(mb)d MB).") % {
                "mb": max(1, limit // (1024 * 1024))
            }
            if request.path.startswith("/api/"):
                return _json_error(413, message, "too_large")
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def client_address(request) -> str:
    """The address a request came from, for the rate limits (django-ratelimit's ``ip`` key).
    Behind a TLS proxy (``LINKSTAR_BEHIND_TLS_PROXY``) every request comes from the proxy: the
    client is the last address the proxy added to ``X-Forwarded-For`` — else one person's failed
    sign-ins would pause everyone's. Without any address (a Unix socket), one shared bucket."""
    if settings.LINKSTAR_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            try:
                return str(ipaddress.ip_address(forwarded))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"
