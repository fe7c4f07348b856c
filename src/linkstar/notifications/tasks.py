"""Background jobs of notifications: load by id, call the service."""

from __future__ import annotations

from django_tasks import task


@task()
def process_events(event_ids: list[int]) -> None:
    from linkstar.notifications.fanout import process_event

    for event_id in event_ids:
        process_event(event_id)
