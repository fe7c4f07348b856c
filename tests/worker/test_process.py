"""The worker as a process: ``linkstar worker --once`` runs the due periodic jobs and every ready
job, then exits; a worker killed mid-job loses nothing (the job row stays, is handed back to
the queue once the worker's heartbeat has stopped, and runs to the end)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linkstar.core import clock
from linkstar.worker.models import JobFailure, ScheduledRun, WorkerHeartbeat
from linkstar.worker.runner import recover_abandoned
from linkstar.worker.scheduler import collect_periodic
from tests.support.jobs import run_jobs
from tests.support.worker import ROOT, worker_command, worker_env
from tests.support.worker_tasks import slow_the_first_time, write_file

pytestmark = pytest.mark.django_db(transaction=True)


def _only_prune() -> str:
    """Every periodic job but the worker's own housekeeping stays off in the subprocess."""
    return ",".join(p.name for p in collect_periodic() if p.name != "worker.prune")


def test_worker_once_runs_ready_jobs_and_due_periodic_jobs_then_exits(db_backend, tmp_path):
    target = tmp_path / "out.txt"
    result = write_file.enqueue(str(target), "门店已开通")
    done = subprocess.run(
        worker_command("--once"),
        env=worker_env(LINKSTAR_PERIODIC_DISABLED=_only_prune()),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert target.read_text(encoding="utf-8") == "门店已开通"
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    run = ScheduledRun.objects.get(name="worker.prune")
    prune = DBTaskResult.objects.get(pk=run.job_id)
    assert prune.status == TaskResultStatus.SUCCESSFUL
    assert not WorkerHeartbeat.objects.exists()  # a clean exit removes its heartbeat


def _wait_for(path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def test_a_worker_killed_mid_job_loses_nothing(db_backend, tmp_path):
    marker = tmp_path / "started"
    result = slow_the_first_time.enqueue(str(marker))
    worker = subprocess.Popen(
        worker_command("--interval", "0.2"),
        env=worker_env(LINKSTAR_PERIODIC_DISABLED="*"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_for(marker)
        os.killpg(worker.pid, signal.SIGKILL)  # no chance to clean up: a crash
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.RUNNING  # the job is still there, claimed
    dead_worker = row.worker_ids[-1]
    assert WorkerHeartbeat.objects.filter(worker_id=dead_worker).exists()

    # While the heartbeat is recent the job is left alone (its worker may be busy) ...
    assert recover_abandoned() == []
    # ... once the worker has been silent for the dead time, the job goes back to the queue.
    with clock.travel(seconds=121 + 5):
        assert recover_abandoned() == [str(row.pk)]
        failure = JobFailure.objects.get()
        assert failure.error_class == "linkstar.worker.WorkerLost"
        assert failure.worker_id == dead_worker and failure.outcome == "retry"
        assert run_jobs() == 1
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "finished after recovery"
    assert result.attempts == 2


def test_recovery_leaves_the_jobs_of_a_living_worker_alone(db_backend):
    from linkstar.worker.runner import DatabaseQueue, beat

    result = write_file.enqueue("/dev/null", "x")
    queue = DatabaseQueue(worker_id="alive-worker")
    row = queue.claim()
    assert str(row.pk) == result.id
    with clock.travel(minutes=10):
        beat("alive-worker", backend="db")
        assert recover_abandoned() == []
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.RUNNING
