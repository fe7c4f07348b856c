"""Sensitive values at rest: encryption (Fernet, rotatable) and blind indexes (HMAC-SHA256).

Keys come from settings: ``LINKSTAR_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest first;
the first encrypts, all decrypt) and ``LINKSTAR_BLIND_INDEX_KEY``. Without them, keys are generated
once into the data directory (``keys/``), like the secret key, so that nothing needs to be set to
run. ``linkstar keys rotate`` puts a new key in front and re-encrypts every stored value.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "enc1:"  # marks a stored ciphertext, so a plain value is never mistaken for one


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.LINKSTAR_ENCRYPTION_KEYS
    if not keys:
        raise RuntimeError("no encryption key configured")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def reset_keys() -> None:
    """Forget cached keys (after rotation, or when tests change the settings)."""
    _fernet.cache_clear()


def encrypt(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return PREFIX + _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str | None) -> str | None:
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise RuntimeError("a stored value cannot be decrypted with the configured keys") from exc


def reencrypt(stored: str | None) -> str | None:
    """The same value under the newest key (MultiFernet.rotate)."""
    if not stored or not stored.startswith(PREFIX):
        return encrypt(stored) if stored else stored
    return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


def normalise(value: str | None, *, kind: str = "text") -> str:
    """The form two spellings of one identifier share: NFKC (full-width → half-width), case and
    separators folded; phones keep their digits; emails are lower-cased and trimmed."""
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    if kind == "phone":
        return "".join(ch for ch in text if ch.isdigit()).lstrip("0")
    if kind == "email":
        return text.replace(" ", "")
    if kind == "address":
        return "".join(ch for ch in text if ch.isalnum())
    return "".join(ch for ch in text if ch.isalnum())


def blind_index(value: str | None, *, kind: str = "text") -> str:
    """A keyed digest of the normalised value: equal identifiers match, nothing is revealed."""
    norm = normalise(value, kind=kind)
    if not norm:
        return ""
    key = settings.LINKSTAR_BLIND_INDEX_KEY.encode("utf-8")
    return hmac.new(key, f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column holding only ciphertext; Python code sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or str(value).startswith(PREFIX):
            return value
        return encrypt(str(value))
