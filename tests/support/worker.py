"""A worker run in a subprocess against the test database, and the Redis database of the test
process's own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def redis_url_or_skip() -> str:
    import redis

    from tests.support import jobs

    if jobs._claimed is not None:
        root, number = jobs._claimed
        return f"{root}/{number}"
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(base, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {base}: {exc}")
    return jobs._claim_redis_db(base)


def database_url() -> str:
    """The test database, as a DATABASE_URL a subprocess can use."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    password = f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return (
        f"postgres://{auth}{cfg.get('HOST') or '127.0.0.1'}:{cfg.get('PORT') or 5432}/{cfg['NAME']}"
    )


def worker_env(**extra: str) -> dict:
    env = os.environ.copy()
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=database_url(),
        LINKSTAR_JOB_BACKEND="db",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        LINKSTAR_WORKER_HEARTBEAT_SECONDS="1",
    )
    env.update(extra)
    return env


def worker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "linkstar.cli", "worker", *args]
