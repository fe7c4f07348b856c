"""``linkstar serve`` stopped by SIGTERM (systemd, docker stop, a deploy) stops its web server
and its worker — the worker after the job it is running, however long that job takes — and
leaves no process behind (issue 17 §12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django_tasks.base import TaskResultStatus

from tests.support.delivery import free_port
from tests.support.worker import ROOT, worker_env
from tests.support.worker_tasks import works_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Longer than the 15 seconds `serve` used to give its worker before killing it.
JOB_SECONDS = 20


def _wait_for(path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.2)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_the_worker_after_its_running_job(db_backend, tmp_path):
    started, finished = tmp_path / "started", tmp_path / "finished"
    result = works_for.enqueue(str(started), str(finished), JOB_SECONDS)
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [sys.executable, "-m", "linkstar.cli", "serve", "--port", str(free_port())],
        env=worker_env(LINKSTAR_PERIODIC_DISABLED="*"),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(started, 240)  # set-up, the web server and the worker starting
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=JOB_SECONDS + 90) == 0, log.read_text()[-3000:]
        deadline = time.monotonic() + 10
        while _group_alive(serve.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(serve.pid)  # neither worker nor web server left running
    finally:
        if _group_alive(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)
    assert finished.read_text() == "finished"
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
