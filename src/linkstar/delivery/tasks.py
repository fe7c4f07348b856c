"""Background jobs of the outbox: send one delivery after commit, and sweep what is due."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.delivery.sending import deliver_due as sweep
from linkstar.delivery.sending import send_ids, send_now
from linkstar.worker.schedule import Periodic


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


PERIODIC = [Periodic(name="delivery.deliver_due", every=dt.timedelta(minutes=1), task=deliver_due)]
