"""Audit events as the API and the archives answer them."""

from __future__ import annotations


def audit_event_out(e) -> dict:
    return {
        "id": e.pk,
        "at": e.at,
        "actor": e.actor_label,
        "actor_id": e.actor_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "changes": e.changes,
    }
