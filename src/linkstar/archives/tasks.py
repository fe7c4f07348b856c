"""Background jobs of the archives app: build a requested archive, delete expired ones."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.archives.services import build_archive, cleanup_expired_archives
from linkstar.worker.schedule import Periodic


@task()
def build_archive_job(job_id: int) -> None:
    build_archive(job_id=job_id)


@task()
def cleanup_archives() -> None:
    cleanup_expired_archives()


PERIODIC = [
    Periodic(name="archives.cleanup", every=dt.timedelta(hours=1), task=cleanup_archives),
]
