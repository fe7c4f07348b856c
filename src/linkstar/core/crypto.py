"""Sensitive values at rest: encryption (Fernet, rotatable) and blind indexes (HMAC-SHA256).

Keys come from settings: ``LINKSTAR_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest first;
the first encrypts, all decrypt) and ``LINKSTAR_BLIND_INDEX_KEY``. Without them, keys are generated
once into the data directory (``keys/``), like the secret key, so that nothing needs to be set to
run. ``linkstar keys rotate`` puts a new key in front and re-encrypts every stored value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import connections, models, router, transaction

PREFIX = "enc1:"  # marks a stored ciphertext, so a plain value is never mistaken for one


# Keys re-read from the key file after another process (``linkstar keys rotate``) changed it.
_reloaded_keys: list[str] | None = None


def _configured_keys() -> list[str]:
    return _reloaded_keys or settings.LINKSTAR_ENCRYPTION_KEYS


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = _configured_keys()
    if not keys:
        raise RuntimeError("no encryption key configured")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def reset_keys() -> None:
    """Forget cached keys (after rotation, or when tests change the settings)."""
    global _reloaded_keys
    _reloaded_keys = None
    _fernet.cache_clear()


def _reload_key_file() -> bool:
    """After a rotation by another process, a running one finds values under a key it does not
    know yet: re-read the key file (when keys come from it) and say whether the keys changed."""
    global _reloaded_keys
    path = getattr(settings, "LINKSTAR_ENCRYPTION_KEY_FILE", "")
    if not path or not Path(path).exists():
        return False
    keys = read_key_file(path)
    if not keys or keys == _configured_keys():
        return False
    _reloaded_keys = keys
    _fernet.cache_clear()
    return True


def encrypt(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return PREFIX + _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str | None) -> str | None:
    if not stored or not stored.startswith(PREFIX):
        return stored
    token = stored[len(PREFIX) :].encode("ascii")
    try:
        return _fernet().decrypt(token).decode("utf-8")
    except InvalidToken:
        if not _reload_key_file():
            raise RuntimeError(
                "a stored value cannot be decrypted with the configured keys"
            ) from None
    try:
        return _fernet().decrypt(token).decode("utf-8")
    except InvalidToken as exc:
        raise RuntimeError("a stored value cannot be decrypted with the configured keys") from exc


def reencrypt(stored: str | None) -> str | None:
    """The same value under the newest key (MultiFernet.rotate)."""
    if not stored or not stored.startswith(PREFIX):
        return encrypt(stored) if stored else stored
    return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


def normalise(value: str | None, *, kind: str = "text") -> str:
    """The form two spellings of one identifier share: NFKC (full-width → half-width), case and
    separators folded; phones keep their digits (without +86 before a Chinese mobile); emails
    are lower-cased and trimmed."""
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit()).lstrip("0")
        # +86 / 0086 before a Chinese mobile number is the same phone as without it
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        return digits
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


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (lists, dicts) kept as one ciphertext; Python code sees the value. A plain
    JSON text found in the column (written before the column was encrypted) is read as such."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else None
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, str) and value.startswith(PREFIX):
            return value
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, default=str)


# --- key rotation ---------------------------------------------------------------------------------


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def read_key_file(path: str | Path) -> list[str]:
    text = Path(path).read_text(encoding="utf-8")
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]


def add_key_to_file(path: str | Path, key: str) -> list[str]:
    """Put ``key`` first in the key file (0600, replaced atomically); the older keys stay after it
    so that values not yet re-encrypted still decrypt. Returns the new list."""
    path = Path(path)
    keys = [key, *(k for k in read_key_file(path) if k != key)] if path.exists() else [key]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".encryption-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(keys) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return keys


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every concrete model with ``EncryptedTextField``s, found through the app registry."""

    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = [f for f in meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def reencrypt_all(*, batch_size: int = 500) -> dict[str, dict[str, int]]:
    """Re-encrypt every stored value of every ``EncryptedTextField`` under the newest key, in
    batches (one transaction each), reading and writing ciphertext only — nothing is decrypted
    into memory beyond what ``MultiFernet.rotate`` does. A plain value left by an old version is
    encrypted on the way. Returns ``{"app.Model": {"rows": n, "values": m}}``."""

    report: dict[str, dict[str, int]] = {}
    for model, fields in encrypted_fields():
        alias = router.db_for_write(model)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        columns = [quote(f.column) for f in fields]
        select = f"SELECT {pk}, {', '.join(columns)} FROM {table}"
        update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"
        rows = values = 0
        last = None
        while True:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                if last is None:
                    cursor.execute(f"{select} ORDER BY {pk} LIMIT %s", [batch_size])
                else:
                    cursor.execute(
                        f"{select} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [last, batch_size]
                    )
                batch = cursor.fetchall()
                changes = []
                for row_pk, *stored in batch:
                    fresh = [reencrypt(v) if v else v for v in stored]
                    if fresh != stored:
                        changes.append([*fresh, row_pk])
                        values += sum(1 for v in stored if v)
                if changes:
                    cursor.executemany(update, changes)
                rows += len(changes)
            if len(batch) < batch_size:
                break
            last = batch[-1][0]
        report[model._meta.label] = {"rows": rows, "values": values}
    return report
