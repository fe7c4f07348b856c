"""Streaming a stored document to someone already allowed to read it (API and web)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django.http import FileResponse

from linkstar.core.exceptions import NotFound
from linkstar.documents.checks import KINDS
from linkstar.documents.models import Document
from linkstar.documents.services import document_storage


def content_disposition(name: str, *, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact UTF-8 name as
    ``filename*`` (RFC 6266 / RFC 5987), so "营业执照.pdf" arrives as itself."""
    decomposed = unicodedata.normalize("NFKD", name)
    # Accents may go ("Café" → "Cafe"); a name that loses letters ("营业执照") takes the fallback.
    lost = any(not ch.isascii() and not unicodedata.combining(ch) for ch in decomposed)
    ascii_name = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_. ()") else "_"
        for ch in decomposed
        if not unicodedata.combining(ch)
    ).strip(" ._")
    if lost or not ascii_name.rsplit(".", 1)[0].strip(" ._"):
        ascii_name = fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _extension(document: Document) -> str:
    for kind in KINDS.values():
        if kind.content_type == document.content_type:
            return kind.extensions[0]
    return "bin"


def file_response(document: Document) -> FileResponse:
    """The document's bytes, streamed from the storage, as a download (never shown inline)."""
    if not document.storage_name:  # destroyed: erased on request or past its retention
        raise NotFound()
    try:
        handle = document_storage().open(document.storage_name, "rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    response = FileResponse(
        handle, content_type=document.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition(
        document.original_name, fallback=f"document-{document.pk}.{_extension(document)}"
    )
    response["Content-Length"] = str(document.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
