"""``Idempotency-Key`` on the API's POST endpoints, implemented once for all of them.

The first request with a key stores its answer (status and body) under (caller, organization,
key), with a hash of its method, path and body. A retry with the same key and the same request
gets the stored answer again (header ``Idempotent-Replayed: true``) and creates nothing; the same
key with another request → 422 ``idempotency_key_reused``; a retry while the first request is
still being answered → 409 ``idempotency_in_progress``. Keys are forgotten after
``LINKSTAR_IDEMPOTENCY_TTL_HOURS``. Answers of 5xx and 409 are not stored (the request may be
tried again with the same key); other 4xx are, like the successes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from linkstar.api.auth import authenticate_token
from linkstar.api.errors import error_response
from linkstar.core import clock
from linkstar.core.exceptions import DomainError
from linkstar.worker.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces
NOT_STORED = {409}


def idempotent(run):
    """A Ninja "view" decorator: wraps an operation's ``run`` (before auth and parsing)."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return run(request, *args, **kwargs)
        return _run_once(run, request, key.strip(), args, kwargs)

    return wrapper


def _caller(request):
    """The token's user, or None (then the request runs as usual and fails its auth)."""

    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    try:
        return authenticate_token(request, raw.strip())
    except DomainError:
        return None  # e.g. a read-only token: its own 403 comes from the normal path


def request_hash(request) -> str:
    """SHA-256 of method, path and body; the body canonical (JSON by sorted keys; multipart by
    its fields and the SHA-256 of each file, whatever the boundary)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    content_type = (request.content_type or "").lower()
    if content_type.startswith("multipart/form-data"):
        fields = sorted((k, v) for k in request.POST for v in request.POST.getlist(k))
        files = []
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                file_digest = hashlib.sha256()
                for chunk in upload.chunks():
                    file_digest.update(chunk)
                upload.seek(0)
                files.append((name, upload.name, upload.size, file_digest.hexdigest()))
        digest.update(json.dumps([fields, files], ensure_ascii=False).encode())
    else:
        body = request.body
        if "json" in content_type or not content_type:
            with contextlib.suppress(ValueError):
                body = json.dumps(
                    json.loads(body or b"null"), sort_keys=True, separators=(",", ":")
                ).encode()
        digest.update(body)
    return digest.hexdigest()


def _claim(*, user, org: str, key: str, fingerprint: str, request):
    """(record, created): the stored record of this key, inserting it when new or expired."""

    for _attempt in range(3):
        now = clock.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    org_slug=org,
                    key=key,
                    request_hash=fingerprint,
                    method=request.method,
                    path=request.path[:500],
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=settings.LINKSTAR_IDEMPOTENCY_TTL_HOURS),
                )
            return record, True
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=user, org_slug=org, key=key).first()
            if record is None:
                continue  # deleted meanwhile: claim again
            if record.expires_at <= now:
                IdempotencyRecord.objects.filter(
                    pk=record.pk, expires_at=record.expires_at
                ).delete()
                continue
            return record, False
    raise RuntimeError("could not claim an idempotency key")


def _take_over_abandoned(record) -> bool:
    """A first request still "in progress" long after it began died with its process: the
    retry takes its place (one retry only: the update is conditional)."""

    now = clock.now()
    lock = dt.timedelta(seconds=settings.LINKSTAR_IDEMPOTENCY_LOCK_SECONDS)
    if record.created_at > now - lock:
        return False
    return bool(
        IdempotencyRecord.objects.filter(
            pk=record.pk, status_code__isnull=True, created_at=record.created_at
        ).update(created_at=now)
    )


def _replay(record) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body),
        status=record.status_code,
        content_type=record.content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _run_once(run, request, key: str, args, kwargs):
    if not KEY_PATTERN.match(key):
        message = _("An Idempotency-Key is 1 to 255 visible ASCII characters.")
        return error_response(
            request,
            422,
            f"{HEADER}: {message}",
            "invalid",
            [{"field": HEADER, "message": message}],
        )
    user = _caller(request)
    if user is None:
        return run(request, *args, **kwargs)
    fingerprint = request_hash(request)
    record, created = _claim(
        user=user, org=str(kwargs.get("org", "")), key=key, fingerprint=fingerprint, request=request
    )
    if not created:
        if record.request_hash != fingerprint:
            return error_response(
                request,
                422,
                _("This Idempotency-Key was used for a different request."),
                "idempotency_key_reused",
                [{"field": HEADER, "message": _("Use a new key for a new request.")}],
            )
        if record.status_code is not None:
            return _replay(record)
        if not _take_over_abandoned(record):
            return error_response(
                request,
                409,
                _("A request with this Idempotency-Key is still being answered; retry later."),
                "idempotency_in_progress",
            )
    try:
        response = run(request, *args, **kwargs)
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 500 or response.status_code in NOT_STORED or response.streaming:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", "")[:100],
        body=response.content,
    )
    return response
