"""Where raw messages live: the documents storage, under generated names holding no input."""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile

from linkstar.documents.services import document_storage

log = logging.getLogger(__name__)

PREFIX = "platformmail"


def save_raw(organization_id: int, raw: bytes) -> str:
    name = f"{PREFIX}/{organization_id}/{uuid.uuid4().hex}.eml"
    return document_storage().save(name, ContentFile(raw))


def read_raw(message) -> bytes:
    if not message.raw_name:
        raise FileNotFoundError("no raw message stored")
    with document_storage().open(message.raw_name, "rb") as handle:
        return handle.read()


def discard_raw(name: str) -> None:
    try:
        document_storage().delete(name)
    except Exception:  # the original error matters more
        log.exception("could not delete a stored raw message")
