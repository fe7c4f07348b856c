"""The worker's own periodic job: forget what is old (finished jobs, scheduler slots, failure
records, expired idempotency keys)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.worker.schedule import Periodic
from linkstar.worker.services import prune_history as prune


@task()
def prune_history() -> dict:
    return prune()


PERIODIC = [Periodic(name="worker.prune", every=dt.timedelta(hours=1), task=prune_history)]
