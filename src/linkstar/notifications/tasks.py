"""Background jobs of notifications: load by id, call the service; and the periodic ones."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.core import clock
from linkstar.notifications.fanout import process_event
from linkstar.notifications.models import Event
from linkstar.notifications.reminders import scan_reminders as scan
from linkstar.notifications.services import send_digests as send
from linkstar.worker.schedule import Periodic

# An event whose fan-out job was lost (a crash between commit and enqueue) is picked up after
# this long by the sweep.
SWEEP_AFTER = dt.timedelta(minutes=2)


@task()
def process_events(event_ids: list[int]) -> None:
    for event_id in event_ids:
        process_event(event_id)


@task()
def scan_reminders() -> dict:
    """Due soon, overdue, stalled, review too long, documents expiring (idempotent)."""

    return dict(scan())


@task()
def send_digests() -> int:
    """The daily digest mails (one per person, organization and day)."""

    return send()


@task()
def sweep_events() -> int:
    """Fan out events left unprocessed (their job lost); processing twice makes nothing twice."""

    ids = list(
        Event.objects.filter(
            processed_at__isnull=True, created_at__lte=clock.now() - SWEEP_AFTER
        ).values_list("pk", flat=True)[:2000]
    )
    for event_id in ids:
        process_event(event_id)
    return len(ids)


PERIODIC = [
    Periodic(name="notifications.reminders", every=dt.timedelta(minutes=15), task=scan_reminders),
    Periodic(name="notifications.digest", every=dt.timedelta(minutes=30), task=send_digests),
    Periodic(name="notifications.sweep", every=dt.timedelta(minutes=5), task=sweep_events),
]
