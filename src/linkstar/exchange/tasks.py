"""Background job of the exchange app: run a queued import."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(job_id: int) -> None:
    from linkstar.exchange.services import run_import as run

    run(job_id=job_id)
