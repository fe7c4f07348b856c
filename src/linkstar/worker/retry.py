"""Retries with exponential backoff, and the record of every failed attempt."""

from __future__ import annotations

import datetime as dt
import traceback as tb

from django.conf import settings

from linkstar.core import clock
from linkstar.worker.models import JobFailure


def max_attempts() -> int:
    return max(1, int(settings.LINKSTAR_JOB_MAX_ATTEMPTS))


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed attempt ``attempt`` (1-based): base × 2^(attempt-1), capped."""
    base = max(0, int(settings.LINKSTAR_JOB_RETRY_BASE_SECONDS))
    seconds = min(base * 2 ** max(0, attempt - 1), int(settings.LINKSTAR_JOB_RETRY_MAX_SECONDS))
    return dt.timedelta(seconds=seconds)


def record_failure(
    *,
    job_id: str,
    task_path: str,
    backend: str,
    attempt: int,
    exc: BaseException | None,
    retry_at: dt.datetime | None,
    worker_id: str = "",
    message: str = "",
):
    """Write one ``JobFailure`` row (in its own autocommit write: it must survive the job's
    rolled-back transaction)."""

    if exc is not None:
        error_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
        message = message or str(exc)
        trace = "".join(tb.format_exception(exc))
    else:
        error_class, trace = "linkstar.worker.WorkerLost", ""
    return JobFailure.objects.create(
        job_id=str(job_id),
        task_path=task_path[:255],
        backend=backend,
        attempt=attempt,
        max_attempts=max_attempts(),
        outcome=JobFailure.Outcome.RETRY if retry_at is not None else JobFailure.Outcome.FAILED,
        retry_at=retry_at,
        error_class=error_class[:255],
        message=message[:4000],
        traceback=trace[-20000:],
        worker_id=worker_id[:64],
        failed_at=clock.now(),
    )
