"""Audit events as the API and the archives answer them."""

from __future__ import annotations


def _actor(e) -> str:
    """The recorded label, or "Erased user" once the person's data was erased (when the caller
    loaded the actor with the event; the label in the hash-chained row itself never changes)."""
    if e.actor_id is not None and type(e).actor.is_cached(e) and e.actor.is_erased:
        return e.actor.display_name
    return e.actor_label


def audit_event_out(e) -> dict:
    return {
        "id": e.pk,
        "at": e.at,
        "actor": _actor(e),
        "actor_id": e.actor_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "changes": e.changes,
    }
