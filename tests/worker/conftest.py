"""Fixtures of the worker tests: the RQ backend on a Redis database of the test process's own,
and the environment of a worker run in a subprocess against the test database."""

from __future__ import annotations

import pytest

from tests.support.worker import redis_url_or_skip


@pytest.fixture
def rq_backend(settings):
    """Jobs go to RQ on this process's own Redis database, emptied before and after."""
    import redis

    url = redis_url_or_skip()
    client = redis.Redis.from_url(url)
    token = client.get("linkstar:test-process")
    client.flushdb()
    if token:
        client.set("linkstar:test-process", token, ex=3600)
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    settings.TASKS = {
        "default": {"BACKEND": "linkstar.worker.backends.RQBackend", "QUEUES": ["default"]}
    }
    yield client
    client.flushdb()
    if token:
        client.set("linkstar:test-process", token, ex=3600)


@pytest.fixture
def db_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
