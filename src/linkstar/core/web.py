"""What every web page shares: the acting member, domain errors shown as messages, navigation.

Pages call the same services and selectors as the API; this module only turns the request into
an ``Actor`` and a refused action into a message in the page's language.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import resolve
from django.utils.http import url_has_allowed_host_and_scheme

from linkstar.accounts.models import Membership
from linkstar.core import policy
from linkstar.core.actors import Actor, client_ip
from linkstar.core.exceptions import DomainError, InvalidInput, NotFound


class LoginRequired(Exception):
    pass


def web_actor(request, org: str) -> Actor:
    """The signed-in user as a member of ``org``; anyone else gets 404 (or the login page)."""
    if not request.user.is_authenticated:
        raise LoginRequired()
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=request.user, organization__slug=org)
        .first()
    )
    if membership is None:
        raise Http404()
    actor = Actor.from_membership(membership, ip=client_ip(request), via="web")
    request.actor = actor
    return actor


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


class DomainErrorMiddleware:
    """A refused action becomes a message: for HTMX and fetch() calls the text with the error
    status (shown by app.js), for a form post a flash message and a redirect back."""

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
        messages.error(request, text)
        return HttpResponseRedirect(_back(request))


def navigation(request) -> dict:
    """The organization switcher and the current organization, for the layout."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    current = None
    try:
        slug = resolve(request.path_info).kwargs.get("org")
    except Http404:
        slug = None
    if slug:
        current = next((m for m in memberships if m.organization.slug == slug), None)
    return {
        "memberships": memberships,
        "current_membership": current,
        "current_org": current.organization if current else None,
        "current_path": urlparse(request.get_full_path()).path,
        # links shown only to those the policy lets through (no query: role rules)
        "may_import": current is not None
        and policy.can(
            Actor(
                user=request.user,
                organization=current.organization,
                role=current.role,
                is_owner=current.is_owner,
                via="web",
            ),
            "import.projects",
        ),
    }


class LanguageMiddleware:
    """Chinese unless the person chose otherwise: the language switch's cookie, then the user's
    saved language, then zh-hans. The browser's Accept-Language is honoured only by the API, whose
    clients set it on purpose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

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
