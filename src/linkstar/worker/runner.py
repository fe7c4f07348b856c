"""``linkstar worker``: the queue worker of the configured backend plus the scheduler.

Database backend: a job row is claimed (``RUNNING``, with this worker's id), run, then marked
``SUCCESSFUL``; a failure puts it back to ``READY`` with a later ``run_after`` (exponential
backoff) until the attempts run out, then ``FAILED``. Every worker keeps a heartbeat row; a job
left ``RUNNING`` by a worker whose heartbeat stopped (killed, crashed, machine lost) is handed
back to the queue, so a crash mid-job loses nothing.

RQ backend: RQ's own worker (``SimpleWorker`` in burst mode for ``--once``) with the retrying
job class of :mod:`linkstar.worker.backends`; the scheduler runs in a thread beside it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time

import django_rq
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections
from django.db.models import Q
from django.utils.crypto import get_random_string
from django_tasks import TaskContext, task_backends
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception
from django_tasks_rq import RQBackend
from rq import SimpleWorker
from rq import Worker as RQWorker
from rq.registry import ScheduledJobRegistry

from linkstar.core import clock
from linkstar.worker.backends import Job
from linkstar.worker.models import WorkerHeartbeat
from linkstar.worker.retry import backoff, max_attempts, record_failure
from linkstar.worker.scheduler import Scheduler

logger = logging.getLogger("linkstar.worker")


def backend_kind(alias: str = "default") -> str:
    backend = task_backends[alias]
    if isinstance(backend, DatabaseBackend):
        return "db"
    if isinstance(backend, RQBackend):
        return "rq"
    return "other"


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"


# --- heartbeats and recovery ---------------------------------------------------------------------


def beat(worker_id: str, *, backend: str, started_at=None) -> None:
    now = clock.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "backend": backend,
            "last_seen_at": now,
        },
        create_defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "backend": backend,
            "last_seen_at": now,
            "started_at": started_at or now,
        },
    )


class HeartbeatThread(threading.Thread):
    """Refreshes the heartbeat while a long job runs in the main thread."""

    def __init__(self, worker_id: str, backend: str) -> None:
        super().__init__(name="linkstar-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.backend = backend
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.LINKSTAR_WORKER_HEARTBEAT_SECONDS):
                try:
                    beat(self.worker_id, backend=self.backend)
                except Exception:  # a locked or lost database: try again at the next beat
                    logger.exception("heartbeat of %s failed", self.worker_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()


def recover_abandoned(*, now=None, backend_alias: str = "default") -> list[str]:
    """Jobs ``RUNNING`` on a worker that is no longer alive go back to the queue (or fail when
    their attempts are used up); the ids handed back."""

    now = now or clock.now()
    dead_after = now - _seconds(settings.LINKSTAR_WORKER_DEAD_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen_at__gte=dead_after).values_list(
            "worker_id", flat=True
        )
    )
    recovered: list[str] = []
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, backend_name=backend_alias
    ).only("id", "worker_ids", "started_at", "task_path")
    for row in running:
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker in alive or (row.started_at and row.started_at > dead_after):
            continue
        attempt = len(row.worker_ids)
        retry = attempt < max_attempts()
        changes = {
            "exception_class_path": "linkstar.worker.WorkerLost",
            "traceback": f"worker {worker or '?'} stopped while running the job",
        }
        if retry:
            changes.update(status=TaskResultStatus.READY, run_after=now)
        else:
            changes.update(status=TaskResultStatus.FAILED, finished_at=now)
        # Only a row still RUNNING from that same start is taken (another recoverer may race).
        updated = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(**changes)
        if updated:
            record_failure(
                job_id=str(row.pk),
                task_path=row.task_path,
                backend="db",
                attempt=attempt,
                exc=None,
                retry_at=now if retry else None,
                worker_id=worker,
                message=f"worker {worker or '?'} stopped while running the job",
            )
            recovered.append(str(row.pk))
    if recovered:
        logger.warning("handed %d abandoned job(s) back to the queue", len(recovered))
    return recovered


def _seconds(n):
    return dt.timedelta(seconds=n)


# --- the database queue ----------------------------------------------------------------------------


class DatabaseQueue:
    """Claims and runs the jobs of the database backend, with LinkStar's retry policy."""

    def __init__(self, *, worker_id: str, backend_alias: str = "default") -> None:
        self.worker_id = worker_id
        self.backend_alias = backend_alias

    def claim(self):
        ready = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, backend_name=self.backend_alias
        ).filter(Q(run_after=get_date_max()) | Q(run_after__lte=clock.now()))
        try:
            with exclusive_transaction(ready.db):
                row = ready.get_locked()
                if row is not None:
                    row.claim(self.worker_id)
                return row
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def run_one(self) -> bool:
        """Claim and run one job; False when none is ready."""
        row = self.claim()
        if row is None:
            return False
        self.run(row)
        return True

    def run(self, row) -> None:
        task = row.task
        result = row.task_result
        sender = type(task.get_backend())
        task_started.send(sender=sender, task_result=result)
        try:
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            row.set_successful(value)
        except Exception as exc:
            attempt = len(row.worker_ids)
            if attempt < max_attempts():
                retry_at = clock.now() + backoff(attempt)
                DBTaskResult.objects.filter(pk=row.pk).update(
                    status=TaskResultStatus.READY,
                    run_after=retry_at,
                    exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
                    traceback=str(exc)[:4000],
                )
            else:
                retry_at = None
                row.set_failed(exc)
            record_failure(
                job_id=str(row.pk),
                task_path=row.task_path,
                backend="db",
                attempt=attempt,
                exc=exc,
                retry_at=retry_at,
                worker_id=self.worker_id,
            )
            if retry_at is None:
                task_finished.send(sender=sender, task_result=row.task_result)
            logger.warning(
                "job %s (%s) failed on attempt %d: %s", row.pk, row.task_path, attempt, exc
            )
        else:
            task_finished.send(sender=sender, task_result=row.task_result)

    def drain(self, *, limit: int | None = None) -> int:
        """Run jobs until none is ready; the number run."""
        count = 0
        while (limit is None or count < limit) and self.run_one():
            count += 1
        return count


# --- the RQ queue -----------------------------------------------------------------------------------


def rq_queues():
    backend = task_backends["default"]
    return [django_rq.get_queue(name, job_class=Job) for name in sorted(backend.queues)]


def rq_move_due_scheduled(now=None) -> int:
    """Move the scheduled RQ jobs (deferred, or waiting for a retry) that are due by
    :func:`clock.now` into their queue; the number moved."""

    now = now or clock.now()
    moved = 0
    for queue in rq_queues():
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(int(now.timestamp())):
            job = queue.fetch_job(job_id)
            registry.remove(job_id)
            if job is not None:
                queue._enqueue_job(job)
                moved += 1
    return moved


def rq_drain(*, worker_name: str | None = None) -> int:
    """Run every queued RQ job in this process (burst), the due scheduled ones included."""

    ran = 0
    while True:
        rq_move_due_scheduled()
        queues = rq_queues()
        if not any(q.count for q in queues):
            return ran
        before = sum(q.count for q in queues)
        worker = SimpleWorker(
            queues,
            connection=queues[0].connection,
            job_class=Job,
            name=worker_name or f"{new_worker_id()}",
        )
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        ran += before


# --- the worker process ------------------------------------------------------------------------------


class Worker:
    def __init__(self, *, interval: float = 1.0, once: bool = False, periodics=None) -> None:
        self.kind = backend_kind()
        self.worker_id = new_worker_id()
        self.interval = interval
        self.once = once
        self.scheduler = Scheduler(periodics, worker_id=self.worker_id)
        self.running = True
        self._last_recovery = 0.0

    def stop(self, signum=None, frame=None) -> None:
        self.running = False

    def _housekeeping(self) -> None:
        self.scheduler.tick()
        if self.kind == "db" and time.monotonic() - self._last_recovery > 30:
            recover_abandoned()
            self._last_recovery = time.monotonic()

    def run(self) -> int:
        if self.kind not in ("db", "rq"):
            logger.error("the configured task backend has no worker to run")
            return 2
        beat(self.worker_id, backend=self.kind)
        heart = HeartbeatThread(self.worker_id, self.kind)
        heart.start()
        logger.info("worker %s started (%s backend)", self.worker_id, self.kind)
        try:
            if self.kind == "db":
                return self._run_db()
            return self._run_rq()
        finally:
            heart.stop()
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _run_db(self) -> int:
        queue = DatabaseQueue(worker_id=self.worker_id)
        if self.once:
            self._housekeeping()
            queue.drain()
            return 0
        while self.running:
            close_old_connections()
            try:
                self._housekeeping()
                ran = queue.run_one()
            except OperationalError:
                logger.exception("database unavailable; retrying")
                ran = False
            if not ran and self.running:
                time.sleep(self.interval)
        return 0

    def _run_rq(self) -> int:
        if self.once:
            self._housekeeping()
            rq_drain(worker_name=self.worker_id)
            return 0

        def schedule_loop() -> None:
            try:
                while self.running:
                    try:
                        self.scheduler.tick()
                    except Exception:
                        logger.exception("scheduler tick failed")
                    time.sleep(self.interval)
            finally:
                connection.close()

        threading.Thread(target=schedule_loop, name="linkstar-scheduler", daemon=True).start()
        queues = rq_queues()
        worker = RQWorker(
            queues, connection=queues[0].connection, job_class=Job, name=self.worker_id
        )
        # RQ forks a work horse per job: it must not share this process's database socket.
        connections.close_all()
        worker.work(with_scheduler=True, logging_level="INFO")
        self.running = False
        return 0


def run_worker(*, interval: float = 1.0, once: bool = False) -> int:
    worker = Worker(interval=interval, once=once)
    if not once and worker.kind == "db":
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
    return worker.run()
