"""A failing job is retried with exponential backoff (timed by the clock) up to the limit; each
failed attempt is recorded; the last one gives up and the job is marked failed."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linkstar.core import clock
from linkstar.worker.models import JobFailure
from linkstar.worker.retry import backoff
from tests.support.jobs import queued_jobs, run_jobs
from tests.support.worker_tasks import add, always_fails, flaky

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(settings, db_backend):
    settings.LINKSTAR_JOB_MAX_ATTEMPTS = 3
    settings.LINKSTAR_JOB_RETRY_BASE_SECONDS = 30
    settings.LINKSTAR_JOB_RETRY_MAX_SECONDS = 3600


def test_run_jobs_runs_an_enqueued_job_for_real():
    result = add.enqueue(2, 3)
    assert run_jobs() == 1
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert run_jobs() == 0


def test_the_backoff_doubles_after_each_failure_up_to_the_cap(settings):
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    settings.LINKSTAR_JOB_RETRY_MAX_SECONDS = 100
    assert backoff(5).total_seconds() == 100


def test_a_failing_job_is_retried_after_its_backoff_and_then_succeeds(tmp_path):
    counter = tmp_path / "runs"
    result = flaky.enqueue(str(counter), 2)
    start = clock.now()
    assert run_jobs() == 1  # attempt 1 fails
    first = JobFailure.objects.get()
    assert (first.attempt, first.outcome, first.backend) == (1, "retry", "db")
    assert first.error_class == "builtins.ConnectionError"
    assert "the platform is down" in first.message and "Traceback" in first.traceback
    assert first.retry_at - start >= dt.timedelta(seconds=30)
    assert run_jobs() == 0  # not before its backoff
    with clock.travel(seconds=29):
        assert run_jobs() == 0
    with clock.travel(seconds=31):
        assert run_jobs() == 1  # attempt 2 fails, next wait 60 s
        second = JobFailure.objects.order_by("attempt").last()
        assert (second.attempt, second.outcome) == (2, "retry")
        assert second.retry_at - first.retry_at >= dt.timedelta(seconds=59)
    with clock.travel(seconds=31 + 50):
        assert run_jobs() == 0
    with clock.travel(seconds=31 + 61):
        assert run_jobs() == 1  # attempt 3 succeeds
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert result.attempts == 3
    assert JobFailure.objects.count() == 2
    assert counter.read_text() == "3"


def test_a_job_that_keeps_failing_gives_up_after_the_last_attempt_and_is_recorded():
    result = always_fails.enqueue()
    run_jobs()
    with clock.travel(minutes=1):
        run_jobs()
    with clock.travel(minutes=3):
        run_jobs()
    with clock.travel(hours=5):
        assert run_jobs() == 0  # nothing left to try
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors and "robot webhook answered 500" in result.errors[0].traceback
    failures = list(JobFailure.objects.order_by("attempt"))
    assert [(f.attempt, f.outcome) for f in failures] == [
        (1, "retry"),
        (2, "retry"),
        (3, "failed"),
    ]
    assert failures[-1].retry_at is None
    assert all(f.task_path == "tests.support.worker_tasks.always_fails" for f in failures)
    assert queued_jobs() == 0


def test_one_failing_job_does_not_hold_up_the_others():
    always_fails.enqueue()
    ok = add.enqueue(1, 1)
    assert run_jobs() == 2
    ok.refresh()
    assert ok.status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
