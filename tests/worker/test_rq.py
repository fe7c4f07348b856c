"""The RQ backend (Redis on 127.0.0.1:6379, a database of this test process's own): jobs run,
failures are retried with backoff and recorded, the scheduler enqueues once per slot, and
``linkstar worker --once`` drains the queue from a subprocess."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

from linkstar.core import clock
from linkstar.worker.models import JobFailure, ScheduledRun
from linkstar.worker.runner import backend_kind
from linkstar.worker.schedule import Periodic
from linkstar.worker.scheduler import Scheduler
from tests.support.jobs import queued_jobs, run_jobs
from tests.support.worker import ROOT, worker_command, worker_env
from tests.support.worker_tasks import add, always_fails, flaky, heartbeat_job, write_file

# RQ schedules retries and leases on the Redis server's clock, which faketime cannot move: under
# a moved process clock the two disagree by a year (and rq's pub/sub thread can hang).
pytestmark = pytest.mark.real_clock


@pytest.fixture(autouse=True)
def _policy(settings, rq_backend):
    settings.LINKSTAR_JOB_MAX_ATTEMPTS = 3
    settings.LINKSTAR_JOB_RETRY_BASE_SECONDS = 30


def test_jobs_go_to_redis_and_run(db):
    assert backend_kind() == "rq"
    result = add.enqueue(20, 22)
    assert queued_jobs() == 1
    assert run_jobs() >= 1
    fetched = task_backends["default"].get_result(result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL
    assert fetched.return_value == 42
    assert queued_jobs() == 0


def test_a_failing_rq_job_is_retried_with_backoff_and_recorded(db, tmp_path):
    counter = tmp_path / "runs"
    result = flaky.enqueue(str(counter), 1)
    run_jobs()
    failure = JobFailure.objects.get()
    assert (failure.attempt, failure.outcome, failure.backend) == (1, "retry", "rq")
    assert failure.job_id == result.id
    assert counter.read_text() == "1"
    assert queued_jobs() == 1  # waiting in RQ's scheduled registry
    run_jobs()
    assert counter.read_text() == "1"  # not before its backoff
    with clock.travel(seconds=31):
        run_jobs()
    assert counter.read_text() == "2"
    fetched = task_backends["default"].get_result(result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL
    assert fetched.return_value == 2


def test_an_rq_job_that_keeps_failing_gives_up_and_is_recorded(db):
    result = always_fails.enqueue()
    run_jobs()
    with clock.travel(seconds=31):
        run_jobs()
    with clock.travel(seconds=31 + 61):
        run_jobs()
    with clock.travel(hours=1):
        run_jobs()
    outcomes = list(JobFailure.objects.order_by("attempt").values_list("attempt", "outcome"))
    assert outcomes == [(1, "retry"), (2, "retry"), (3, "failed")]
    fetched = task_backends["default"].get_result(result.id)
    assert fetched.status == TaskResultStatus.FAILED
    assert queued_jobs() == 0


def test_the_scheduler_enqueues_once_per_slot_on_rq(db):
    every = Periodic(name="tests.rq-heartbeat", every=dt.timedelta(minutes=10), task=heartbeat_job)
    now = clock.now()
    assert Scheduler([every]).tick(now=now) == ["tests.rq-heartbeat"]
    assert Scheduler([every]).tick(now=now) == []
    assert queued_jobs() == 1
    run = ScheduledRun.objects.get()
    assert task_backends["default"].get_result(run.job_id).status == TaskResultStatus.READY
    run_jobs()
    assert task_backends["default"].get_result(run.job_id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_worker_once_drains_the_rq_queue_from_a_subprocess(rq_backend, settings, tmp_path):
    target = tmp_path / "rq.txt"
    result = write_file.enqueue(str(target), "Shopee 巴西 已开通")
    url = settings.RQ_QUEUES["default"]["URL"]
    done = subprocess.run(
        worker_command("--once"),
        env=worker_env(REDIS_URL=url, LINKSTAR_JOB_BACKEND="rq", LINKSTAR_PERIODIC_DISABLED="*"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert target.read_text(encoding="utf-8") == "Shopee 巴西 已开通"
    assert task_backends["default"].get_result(result.id).status == TaskResultStatus.SUCCESSFUL
