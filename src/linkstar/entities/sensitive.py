"""How sensitive values leave the model: masked for answers, pages and audit events.

Identity, registration and account numbers keep at most their last four characters and a few first
ones, never more than a third of the value (``33************1234``, ``core.masking``); store
secrets (passwords, keys, tokens) show nothing of themselves.
"""

from __future__ import annotations

from linkstar.audit.services import diff
from linkstar.core.masking import mask

SECRET_MASK = "********"
SECRET_FIELDS = {"secret"}


def mask_number(value: str | None) -> str:
    """An identity or account number with most of it hidden: up to four characters kept at each
    end, never more than a third of the value in all (``******789`` for a passport)."""
    if not value:
        return ""
    return mask(value) or ""


def mask_value(field: str, value: str | None) -> str:
    if not value:
        return ""
    if field in SECRET_FIELDS:
        return SECRET_MASK
    return mask_number(value)


def masked(obj, field: str) -> str:
    """The masked form of ``obj.<field>`` ("" when empty)."""
    return mask_value(field, getattr(obj, field))


def masked_changes(model, before: dict, after: dict) -> dict:
    """``audit.services.diff`` with every sensitive value masked. A changed secret whose masks
    look alike is still reported, as ``{"changed": true}``, never with its value."""
    changes = diff(before, after)
    for field in getattr(model, "SENSITIVE_FIELDS", ()):
        if field not in changes:
            continue
        entry = {k: None if v is None else mask_value(field, v) for k, v in changes[field].items()}
        if entry.get("before") == entry.get("after"):
            entry = {"changed": True}
        changes[field] = entry
    return changes
