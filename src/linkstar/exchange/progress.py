"""The progress of an import's saving phase, made visible outside its transaction.

An import is all or nothing, so everything it creates is written in one transaction; the web
process cannot see rows written in it, and the job row's ``processed`` updated inside it stays
invisible until the end. So the worker reports the saving progress through a channel that is
outside that transaction and that every web process can read:

* **PostgreSQL**: a second connection to the same database (``connections.create_connection``),
  in autocommit, updates the job row's ``phase``/``processed``. The import's transaction never
  locks the job row, so this write does not wait, and it is committed at once.
* **SQLite**: a second connection cannot write while the import's transaction holds the
  database's only write lock (WAL allows one writer), and the cache is per process when no
  Redis is configured. But SQLite means one host whose data directory web and worker share (the
  database file lives there), so the worker writes a small JSON file under
  ``<data dir>/progress/`` (atomic rename) that the web process reads.

Readers call :func:`live` with the job row: while the job runs, the reported progress wins over
the row's (older) values.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from linkstar.exchange.models import ImportJob, ImportStatus


def _sqlite() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor == "sqlite"


def _path(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "progress" / f"import-{job_id}.json"


class Reporter:
    """Reports ``(phase, processed)`` of one job from inside its transaction."""

    def __init__(self, job_id: int, total: int) -> None:
        self.job_id = job_id
        self.total = total
        self._connection = None

    def __call__(self, phase: str, processed: int) -> None:
        if _sqlite():
            path = _path(self.job_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".import-")
            with os.fdopen(fd, "w") as out:
                json.dump({"phase": phase, "processed": processed}, out)
            os.replace(tmp, path)
            return

        if self._connection is None:
            self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
        qn = self._connection.ops.quote_name
        with self._connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(ImportJob._meta.db_table)} SET phase = %s, processed = %s "
                "WHERE id = %s",
                [phase, processed, self.job_id],
            )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        with contextlib.suppress(OSError):
            _path(self.job_id).unlink()


def live(job) -> None:
    """Overlay the reported progress on ``job`` (a row read by the web process) while it runs."""

    if job.status != ImportStatus.RUNNING or not _sqlite():
        return
    try:
        reported = json.loads(_path(job.pk).read_text())
    except (OSError, ValueError):
        return
    job.phase = reported.get("phase", job.phase)
    job.processed = int(reported.get("processed", job.processed))
