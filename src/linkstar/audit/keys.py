"""The audit key: HMAC-SHA256 key of the chain's keyed hashes and of the signed checkpoints.

It is kept outside the database (``LINKSTAR_AUDIT_KEY``, or generated once into
``<data dir>/keys/audit``), so that someone who can write to the database alone cannot recompute
the chain. It never rotates by itself; after a change, the former keys go into
``LINKSTAR_AUDIT_OLD_KEYS`` so that events and checkpoints written with them still verify. Each
event and checkpoint names the key it used by a key id (a digest of the key, which reveals
nothing of it).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def key_id(key: str) -> str:
    return hashlib.sha256(f"linkstar-audit-key-id:{key}".encode()).hexdigest()[:12]


def current() -> tuple[str, str]:
    """``(key id, key)`` of the key new events and checkpoints use."""
    key = settings.LINKSTAR_AUDIT_KEY
    if not key:
        raise RuntimeError("no audit key configured (LINKSTAR_AUDIT_KEY)")
    return key_id(key), key


def known() -> dict[str, str]:
    """Every configured audit key by its id: the current one and the former ones."""
    keys = [settings.LINKSTAR_AUDIT_KEY, *getattr(settings, "LINKSTAR_AUDIT_OLD_KEYS", [])]
    return {key_id(k): k for k in keys if k}


def mac(key: str, message: bytes) -> str:
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
