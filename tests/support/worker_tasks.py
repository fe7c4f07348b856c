"""Jobs the worker tests enqueue (module-level ``@task`` functions, importable by a worker
running in another process)."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def flaky(counter_path: str, failures: int) -> int:
    """Fails the first ``failures`` times it runs (the count is kept in a file), then succeeds."""
    path = Path(counter_path)
    runs = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(runs))
    if runs <= failures:
        raise ConnectionError(f"the platform is down (run {runs})")
    return runs


@task()
def always_fails() -> None:
    raise RuntimeError("the robot webhook answered 500")


@task()
def slow_the_first_time(marker_path: str) -> str:
    """Writes its marker and works for a minute the first time (a worker is killed meanwhile);
    finishes at once when run again."""
    marker = Path(marker_path)
    if not marker.exists():
        marker.write_text("started")
        time.sleep(60)
        return "finished slowly"
    return "finished after recovery"


@task()
def write_file(path: str, text: str) -> str:
    Path(path).write_text(text, encoding="utf-8")
    return text


@task()
def heartbeat_job() -> str:
    return "tick"


@task()
def works_for(started_path: str, finished_path: str, seconds: float) -> str:
    """Marks its start, works for ``seconds``, marks its end (a worker is stopped meanwhile)."""
    Path(started_path).write_text("started")
    time.sleep(seconds)
    Path(finished_path).write_text("finished")
    return "finished"
