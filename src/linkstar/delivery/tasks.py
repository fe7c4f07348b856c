"""Background jobs of the outbox: fan out each event (notifications, mail, chat, webhooks), send
one delivery after commit; and the periodic ones: sweep what is due, the reminder scan, the
daily digest, and the sweep of events whose fan-out job was lost."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.core import clock
from linkstar.delivery.digests import send_digests as send
from linkstar.delivery.fanout import process_event
from linkstar.delivery.reminders import scan_reminders as scan
from linkstar.delivery.sending import deliver_due as sweep
from linkstar.delivery.sending import send_ids, send_now
from linkstar.notifications.models import Event
from linkstar.worker.schedule import Periodic

# An event whose fan-out job was lost (a crash between commit and enqueue) is picked up after
# this long by the sweep.
SWEEP_AFTER = dt.timedelta(minutes=2)


@task()
def send_delivery(delivery_id: int) -> str | None:
    """Send one delivery now (enqueued when it was queued); a no-op when another worker has it
    or it is already sent."""

    delivery = send_now(delivery_id)
    return delivery.state if delivery else None


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send the deliveries one transaction queued (enqueued on its commit)."""

    return send_ids(delivery_ids)


@task()
def deliver_due() -> dict[str, int]:
    """Send every delivery that is due: new ones whose job was lost, retries, quiet-hour mail."""

    return sweep()


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
    Periodic(name="delivery.deliver_due", every=dt.timedelta(minutes=1), task=deliver_due),
    Periodic(name="delivery.scan_reminders", every=dt.timedelta(minutes=15), task=scan_reminders),
    Periodic(name="delivery.send_digests", every=dt.timedelta(minutes=30), task=send_digests),
    Periodic(name="delivery.sweep_events", every=dt.timedelta(minutes=5), task=sweep_events),
]
