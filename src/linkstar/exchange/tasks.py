"""Background job of the exchange app: run a queued import."""

from __future__ import annotations

from django_tasks import task

from linkstar.exchange.services import run_import as run


@task()
def run_import(job_id: int) -> None:
    run(job_id=job_id)
