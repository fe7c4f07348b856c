"""Writes of the worker app: housekeeping, and an administrator's "retry now"."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, NotFound
from linkstar.worker.models import IdempotencyRecord, JobFailure, ScheduledRun, WorkerHeartbeat


def prune_history() -> dict:
    """Delete finished jobs, scheduler slots and failure records older than
    ``LINKSTAR_JOB_HISTORY_DAYS``, idempotency keys past their expiry, and heartbeats of workers
    long gone. Idempotent: two workers pruning at once delete the same rows once."""

    now = clock.now()
    horizon = now - dt.timedelta(days=settings.LINKSTAR_JOB_HISTORY_DAYS)
    counts = {
        "jobs": DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=horizon,
        ).delete()[0],
        "slots": ScheduledRun.objects.filter(scheduled_at__lt=horizon).delete()[0],
        "failures": JobFailure.objects.filter(failed_at__lt=horizon).delete()[0],
        "idempotency_keys": IdempotencyRecord.objects.filter(expires_at__lt=now).delete()[0],
        "heartbeats": WorkerHeartbeat.objects.filter(
            last_seen_at__lt=now - dt.timedelta(days=1)
        ).delete()[0],
    }
    return counts


@transaction.atomic
def retry_job_now(*, actor: Actor, job_id: str):
    """An administrator sends a failed (or waiting) job of the database queue back to run at
    once, with its attempts counted afresh. Audited."""

    policy.require(actor, "worker.manage")
    row = DBTaskResult.objects.select_for_update().filter(pk=job_id).first()
    if row is None:
        raise NotFound()
    if row.status not in (TaskResultStatus.FAILED, TaskResultStatus.READY):
        raise Conflict(_("Only a failed or waiting job can be retried."), code="job_not_retryable")
    before = row.status
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.READY, run_after=get_date_max(), worker_ids=[], finished_at=None
    )
    record(
        actor=actor,
        action="job.retried",
        obj=row,
        changes={
            "task": {"before": row.task_path, "after": row.task_path},
            "status": {"before": before, "after": TaskResultStatus.READY},
        },
    )
    return row
