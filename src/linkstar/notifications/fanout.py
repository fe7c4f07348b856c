"""Turning an event into notifications for people and deliveries for channels."""

from __future__ import annotations


def process_event(event_id: int) -> None:
    """Fan out one event (idempotent: an event already processed is left alone)."""
    from linkstar.core import clock
    from linkstar.notifications.models import Event

    Event.objects.filter(pk=event_id, processed_at__isnull=True).update(processed_at=clock.now())
