"""The scheduler enqueues each periodic job once per slot of its period, however many
schedulers run at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from linkstar.core import clock
from linkstar.worker.models import ScheduledRun
from linkstar.worker.schedule import Periodic
from linkstar.worker.scheduler import Scheduler, collect_periodic
from tests.support.worker_tasks import heartbeat_job

EVERY_5_MIN = Periodic(name="tests.heartbeat", every=dt.timedelta(minutes=5), task=heartbeat_job)
JOB_PATH = "tests.support.worker_tasks.heartbeat_job"


def _slot_start(moment: dt.datetime, minutes: int = 5) -> dt.datetime:
    seconds = int(moment.timestamp()) // (minutes * 60) * (minutes * 60)
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@pytest.mark.django_db
def test_a_periodic_job_is_enqueued_once_per_slot(db_backend):
    start = _slot_start(clock.now()) + dt.timedelta(seconds=10)
    scheduler = Scheduler([EVERY_5_MIN], worker_id="w1")
    with clock.frozen_at(start):
        assert scheduler.tick() == ["tests.heartbeat"]
        assert scheduler.tick() == []
    with clock.frozen_at(start + dt.timedelta(minutes=4)):
        assert scheduler.tick() == []
    with clock.frozen_at(start + dt.timedelta(minutes=5)):
        assert scheduler.tick() == ["tests.heartbeat"]
    assert DBTaskResult.objects.filter(task_path=JOB_PATH).count() == 2
    runs = list(ScheduledRun.objects.order_by("slot"))
    assert [r.name for r in runs] == ["tests.heartbeat"] * 2
    assert runs[1].slot == runs[0].slot + 1
    assert {r.job_id for r in runs} == {str(j.pk) for j in DBTaskResult.objects.all()}


@pytest.mark.django_db
def test_a_restarted_scheduler_does_not_enqueue_the_same_slot_again(db_backend):
    start = _slot_start(clock.now()) + dt.timedelta(seconds=10)
    with clock.frozen_at(start):
        Scheduler([EVERY_5_MIN]).tick()
        assert Scheduler([EVERY_5_MIN]).tick() == []  # a new process: no memory, same slot
    assert DBTaskResult.objects.filter(task_path=JOB_PATH).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_enqueue_each_slot_once(db_backend):
    """Two schedulers (threads with their own database connections) tick the same moments at
    the same instant, slot after slot: each slot is enqueued once."""
    start = _slot_start(clock.now()) + dt.timedelta(seconds=1)
    moments = [start + dt.timedelta(minutes=5 * i) for i in range(6)]
    barrier = threading.Barrier(2)
    enqueued: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        scheduler = Scheduler([EVERY_5_MIN], worker_id=name)
        try:
            for moment in moments:
                barrier.wait(timeout=30)
                enqueued[name].extend(scheduler.tick(now=moment))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(enqueued["a"]) + len(enqueued["b"]) == len(moments)
    assert ScheduledRun.objects.count() == len(moments)
    assert DBTaskResult.objects.filter(task_path=JOB_PATH).count() == len(moments)


def test_the_scheduler_collects_the_periodic_jobs_of_the_installed_apps(settings):
    names = {p.name for p in collect_periodic()}
    assert "worker.prune" in names
    settings.LINKSTAR_PERIODIC_DISABLED = "worker.*"
    assert "worker.prune" not in {p.name for p in collect_periodic()}
