"""Reads of the worker app: the state of the queue, the workers alive, recent failures and the
periodic jobs, for the administrators' "Background jobs" page (a fixed number of queries)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max
from django.utils.translation import ngettext
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from linkstar.core import clock
from linkstar.worker.models import JobFailure, ScheduledRun, WorkerHeartbeat
from linkstar.worker.runner import backend_kind, rq_queues
from linkstar.worker.scheduler import collect_periodic


@dataclass
class PeriodicRow:
    name: str
    every: dt.timedelta
    last_scheduled_at: dt.datetime | None

    @property
    def every_label(self) -> str:
        """ "every 5 minutes", "every hour", "every day" — in the page's language."""
        seconds = int(self.every.total_seconds())
        if seconds % 86400 == 0:
            days = seconds // 86400
            return ngettext("every day", "every %(n)d days", days) % {"n": days}
        if seconds % 3600 == 0:
            hours = seconds // 3600
            return ngettext("every hour", "every %(n)d hours", hours) % {"n": hours}
        if seconds % 60 == 0:
            minutes = seconds // 60
            return ngettext("every minute", "every %(n)d minutes", minutes) % {"n": minutes}
        return ngettext("every second", "every %(n)d seconds", seconds) % {"n": seconds}


def queue_counts() -> dict:
    """Jobs by state: ready (now), waiting (a later run, e.g. a retry), running, failed."""

    if backend_kind() == "rq":
        counts = {"ready": 0, "waiting": 0, "running": 0, "failed": 0}
        for q in rq_queues():
            counts["ready"] += q.count
            counts["waiting"] += ScheduledJobRegistry(queue=q).count
            counts["running"] += StartedJobRegistry(queue=q).count
            counts["failed"] += FailedJobRegistry(queue=q).count
        return counts

    now = clock.now()
    rows = (
        DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED]
        )
        .values("status", "run_after")
        .annotate(n=Count("id"))
    )
    counts = {"ready": 0, "waiting": 0, "running": 0, "failed": 0}
    date_max = get_date_max()
    for row in rows:
        if row["status"] == TaskResultStatus.RUNNING:
            counts["running"] += row["n"]
        elif row["status"] == TaskResultStatus.FAILED:
            counts["failed"] += row["n"]
        elif row["run_after"] == date_max or row["run_after"] <= now:
            counts["ready"] += row["n"]
        else:
            counts["waiting"] += row["n"]
    return counts


def live_workers():
    since = clock.now() - dt.timedelta(seconds=settings.LINKSTAR_WORKER_DEAD_SECONDS)
    return list(WorkerHeartbeat.objects.filter(last_seen_at__gte=since).order_by("started_at"))


def recent_failures(*, limit: int = 50):
    return list(JobFailure.objects.order_by("-failed_at", "-pk")[:limit])


def failed_db_job_ids(job_ids) -> set[str]:
    """Which of these database-queue jobs are failed for good (they may be retried now)."""

    ids = []
    for job_id in job_ids:
        try:
            ids.append(uuid.UUID(str(job_id)))
        except ValueError:  # an RQ job's id
            continue
    if not ids:
        return set()
    rows = DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.FAILED)
    return {str(pk) for pk in rows.values_list("pk", flat=True)}


def periodic_jobs() -> list[PeriodicRow]:
    periodics = collect_periodic()
    last = dict(
        ScheduledRun.objects.filter(name__in=[p.name for p in periodics])
        .values("name")
        .annotate(at=Max("scheduled_at"))
        .values_list("name", "at")
    )
    return [
        PeriodicRow(name=p.name, every=p.every, last_scheduled_at=last.get(p.name))
        for p in sorted(periodics, key=lambda p: p.name)
    ]
