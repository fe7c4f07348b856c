"""Token authentication of the API: ``Authorization: Bearer <token>``; a read-only token only
reads."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from linkstar.accounts.services import token_for_raw
from linkstar.core.exceptions import PermissionDenied

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def authenticate_token(request, raw: str):
    """The token's user, or None. The token is kept on the request (``request.api_token``), and
    looked up once per request even when asked twice (the idempotency wrapper asks first)."""
    cached = getattr(request, "_linkstar_token", None)
    if cached is not None and cached[0] == raw:
        token = cached[1]
    else:
        token = token_for_raw(raw)
        request._linkstar_token = (raw, token)
    if token is None:
        return None
    request.api_token = token
    if token.is_read_only and request.method not in READ_METHODS:
        raise PermissionDenied(
            _("This API token is read-only: it may only read (GET)."), code="token_scope"
        )
    return token.user


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        return authenticate_token(request, token)
