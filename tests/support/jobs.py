"""Run enqueued background jobs for real, in the test's own process, whatever the configured
backend: ``run_jobs()`` drains the queue (the database backend's table, or RQ on Redis when
``REDIS_URL`` is set) and returns how many jobs ran. Jobs that fail are retried on a later call
once their backoff has passed (move the clock: ``with clock.travel(minutes=5): run_jobs()``).

Used as a pytest plugin too (``-p tests.support.jobs``, as ``scripts/test.sh`` does in its Redis pass):
each test process then takes a Redis database of its own and empties it before every test, so
that test processes running side by side never run each other's jobs.
"""

from __future__ import annotations

import atexit
import contextlib
import os

import pytest


def run_jobs(*, limit: int | None = None) -> int:
    """Run every ready job now, in this process; the number run. (Jobs a service enqueues
    with ``transaction.on_commit`` reach the queue only once the test's transaction commits:
    use ``django_capture_on_commit_callbacks(execute=True)`` around the service call.)"""
    from linkstar.worker.runner import DatabaseQueue, backend_kind, rq_drain

    if backend_kind() == "rq":
        return rq_drain()
    return DatabaseQueue(worker_id="tests").drain(limit=limit)


def queued_jobs() -> int:
    """How many jobs wait in the queue (ready or scheduled for later)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from linkstar.worker.runner import backend_kind, rq_queues

    if backend_kind() == "rq":
        from rq.registry import ScheduledJobRegistry

        return sum(q.count + ScheduledJobRegistry(queue=q).count for q in rq_queues())
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()


# --- the pytest plugin: one Redis database per test process -----------------------------------------

_LOCK_KEY = "linkstar:test-process"
_claimed: tuple[str, int] | None = None


def _claim_redis_db(base_url: str) -> str:
    """The URL of a Redis database no other live test process holds (databases 1..15)."""
    import redis

    global _claimed
    parts = base_url.rsplit("/", 1)
    root = parts[0] if parts[-1].isdigit() else base_url.rstrip("/")
    token = f"{os.uname().nodename}:{os.getpid()}"
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{root}/{number}")
        if (
            client.set(_LOCK_KEY, token, nx=True, ex=3600)
            or client.get(_LOCK_KEY) == token.encode()
        ):
            client.flushdb()
            client.set(_LOCK_KEY, token, ex=3600)
            _claimed = (root, number)
            atexit.register(_release, root, number)
            return f"{root}/{number}"
    raise RuntimeError("no free Redis database (1..15) for this test process")


def _release(root: str, number: int) -> None:
    import redis

    with contextlib.suppress(redis.exceptions.RedisError):
        redis.Redis.from_url(f"{root}/{number}").flushdb()


def pytest_configure(config):
    from django.conf import settings

    url = os.environ.get("REDIS_URL")
    if not url:
        return
    own = _claim_redis_db(url)
    settings.REDIS_URL = own
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": own}
    }
    if getattr(settings, "RQ_QUEUES", None):
        settings.RQ_QUEUES = {name: {**cfg, "URL": own} for name, cfg in settings.RQ_QUEUES.items()}


def pytest_unconfigure(config):
    if _claimed is None:
        return
    import redis

    root, number = _claimed
    client = redis.Redis.from_url(f"{root}/{number}")
    client.flushdb()


@pytest.fixture(autouse=True)
def _empty_redis_between_tests():
    """Jobs and cache entries of one test do not leak into the next one."""
    if _claimed is not None:
        import redis

        root, number = _claimed
        client = redis.Redis.from_url(f"{root}/{number}")
        token = client.get(_LOCK_KEY)
        client.flushdb()
        if token:
            client.set(_LOCK_KEY, token, ex=3600)
    yield
