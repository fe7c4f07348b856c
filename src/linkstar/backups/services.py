"""Backups: a consistent snapshot of the database, every stored file and the keys, in one
archive; the scheduled daily backup and its retention.

A backup is an operator's act on the whole installation (``linkstar backup``, or the worker when
``LINKSTAR_BACKUP_DIR`` is set), not an organization member's: there is no actor, no policy check
and no audit event (an event would change the very chains being saved).

Order matters for consistency while the app runs: the database snapshot is taken first, then the
files are copied. A document's file is stored before its row commits and is never rewritten, so
every file a row of the snapshot points at exists when the files are copied; files stored after
the snapshot may come along too and are harmless.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import importlib.metadata
import logging
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from linkstar.audit.services import write_checkpoints
from linkstar.backups.archive import (
    FORMAT,
    FORMAT_VERSION,
    ArchiveWriter,
    archive_name,
    archive_time,
)
from linkstar.backups.database import (
    POSTGRESQL,
    SQLITE,
    PgTarget,
    Snapshot,
    pg_snapshot,
    sqlite_snapshot,
)
from linkstar.backups.errors import BackupError
from linkstar.core import clock
from linkstar.documents.services import document_storage

log = logging.getLogger(__name__)

# Keys that may come from the environment instead of files under the data dir.
KEY_SETTINGS = (
    "LINKSTAR_SECRET_KEY",
    "LINKSTAR_ENCRYPTION_KEYS",
    "LINKSTAR_BLIND_INDEX_KEY",
    "LINKSTAR_AUDIT_KEY",
)
LOCK_NAME = ".linkstar-backup.lock"


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def summary(self) -> str:
        m = self.manifest
        rows = sum(m["row_counts"].values())
        storage = m["storage"]
        keys = m["keys"]
        lines = [
            f"backup written: {self.path} ({_human(self.size)})",
            f"  database: {m['database']['engine']}, {len(m['row_counts'])} tables, {rows} rows",
            f"  stored files: {storage['files']} ({_human(storage['bytes'])})",
            "  keys: "
            + (
                f"included ({', '.join(keys['paths']) or 'none found'}) — keep this archive safe"
                if keys["included"]
                else "NOT included (--without-keys): keep the keys elsewhere"
            ),
        ]
        if keys["from_environment"]:
            lines.append(
                "  from the environment, so not in the archive: "
                + ", ".join(keys["from_environment"])
            )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _linkstar_version() -> str:
    try:
        return importlib.metadata.version("linkstar")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _snapshot_database(staging: Path) -> tuple[Snapshot, str]:
    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        if str(db["NAME"]).startswith(":memory:") or "mode=memory" in str(db["NAME"]):
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return sqlite_snapshot(Path(db["NAME"]), staging / "linkstar.sqlite3"), (
            "database/linkstar.sqlite3"
        )
    if "postgresql" in engine:
        return pg_snapshot(PgTarget.from_django(db), staging / "linkstar.pgdump"), (
            "database/linkstar.pgdump"
        )
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")


def _walk(storage, folder: str = ""):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(dirs):
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def file_storage():
    return document_storage()


def _add_stored_files(writer: ArchiveWriter, warnings: list[str]) -> dict:
    storage = file_storage()
    count = total = 0
    for name in _walk(storage):
        try:
            size = storage.size(name)
            with storage.open(name, "rb") as stream:
                writer.add_stream(f"files/{name}", stream, size, kind="file")
        except FileNotFoundError:
            # Removed between the listing and the copy (an expired export, an orphan sweep).
            warnings.append(f"{name} disappeared while the backup ran; not included")
            continue
        count += 1
        total += size
    return {"backend": type(storage).__name__, "files": count, "bytes": total}


def _configured_from_environment() -> list[str]:
    return [n for n in KEY_SETTINGS if os.environ.get(n) or os.environ.get(f"{n}_FILE")]


def _add_keys(writer: ArchiveWriter, data_dir: Path) -> list[str]:
    paths = []
    secret = data_dir / "secret_key"
    if secret.is_file():
        writer.add_path("secret_key", secret, kind="key")
        paths.append("secret_key")
    key_dir = data_dir / "keys"
    if key_dir.is_dir():
        for path in sorted(p for p in key_dir.rglob("*") if p.is_file()):
            name = "keys/" + path.relative_to(key_dir).as_posix()
            writer.add_path(name, path, kind="key")
            paths.append(name)
    return paths


def _audit_checkpoints(warnings: list[str]) -> dict:
    """Checkpoint every audit chain that moved; the newest signed checkpoint of each chain goes
    into the manifest (``linkstar audit verify --archive`` and the restore check against them)."""
    run = write_checkpoints(reason="backup")
    warnings.extend(
        f"audit chain of {slug} not checkpointed: {reason}" for _id, slug, reason in run.refused
    )
    return {"checkpoints": [point.as_line() for point in run.latest]}


def create_backup(*, to: Path | str, include_keys: bool = True) -> BackupResult:
    """Write ``linkstar-backup-<UTC timestamp>.tar.gz`` into ``to``: the database snapshot, every
    stored file, the keys unless ``include_keys`` is false, and the manifest. The archive appears
    under its final name only once complete (written under a hidden name, then linked)."""
    directory = Path(to).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    created = clock.now().astimezone(dt.UTC)
    final = directory / archive_name(created)
    if final.exists():
        raise BackupError(f"{final} already exists")
    warnings: list[str] = []
    # Signed checkpoints of the audit chains, taken before the snapshot: chains only grow, so the
    # snapshot holds every checkpointed event and a restore can be checked against them.
    audit = _audit_checkpoints(warnings)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".linkstar-backup-") as staging_name:
        staging = Path(staging_name)
        snapshot, db_member = _snapshot_database(staging)
        partial = staging / final.name
        writer = ArchiveWriter(partial, mtime=created.timestamp())
        try:
            writer.add_path(db_member, snapshot.path, kind="database")
            snapshot.path.unlink()
            # Keys before files: a restore puts the keys in place before it loads the settings
            # it needs to write the files through the storage.
            key_paths = _add_keys(writer, Path(settings.DATA_DIR)) if include_keys else []
            storage = _add_stored_files(writer, warnings)
            manifest = writer.finish(
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "linkstar_version": _linkstar_version(),
                    "database": {
                        "engine": snapshot.engine,
                        "path": db_member,
                        **snapshot.details,
                    },
                    "storage": storage,
                    "keys": {
                        "included": include_keys,
                        "paths": key_paths,
                        "from_environment": _configured_from_environment(),
                    },
                    "migrations": snapshot.migrations,
                    "row_counts": snapshot.row_counts,
                    "audit": audit,
                }
            )
        except BaseException:
            writer.abort()
            raise
        partial.chmod(0o600)
        try:
            os.link(partial, final)  # never replaces an archive of the same name
        except FileExistsError as exc:
            raise BackupError(f"{final} already exists") from exc
    return BackupResult(final, manifest, warnings)


# --- retention -----------------------------------------------------------------------------------


def retention_keep(
    stamps: list[dt.datetime], *, keep_daily: int, keep_weekly: int
) -> set[dt.datetime]:
    """Which archive times to keep: the newest archive of each of the ``keep_daily`` most recent
    days that have one, the newest of each of the ``keep_weekly`` most recent ISO weeks that have
    one, and always the newest archive of all. Days and weeks are UTC, as in the archive names.
    Counting days and weeks that have an archive (not calendar days) means a pause in backups
    never lets retention delete the last good ones."""
    newest_first = sorted(set(stamps), reverse=True)
    if not newest_first:
        return set()
    per_day: dict[dt.date, dt.datetime] = {}
    per_week: dict[tuple[int, int], dt.datetime] = {}
    for stamp in newest_first:
        per_day.setdefault(stamp.date(), stamp)
        iso = stamp.isocalendar()
        per_week.setdefault((iso.year, iso.week), stamp)
    keep = {newest_first[0]}
    keep.update(list(per_day.values())[: max(keep_daily, 0)])
    keep.update(list(per_week.values())[: max(keep_weekly, 0)])
    return keep


def list_archives(directory: Path) -> list[tuple[dt.datetime, Path]]:
    """The backup archives in ``directory`` (by their names), newest first."""
    if not directory.is_dir():
        return []
    found = [(archive_time(p), p) for p in directory.iterdir() if p.is_file()]
    return sorted(((t, p) for t, p in found if t is not None), reverse=True)


def apply_retention(
    directory: Path | str, *, keep_daily: int | None = None, keep_weekly: int | None = None
) -> list[Path]:
    """Delete the archives of ``directory`` that the retention policy does not keep; return them.
    Only files named like backup archives are considered; anything else is left alone."""
    directory = Path(directory)
    daily = settings.LINKSTAR_BACKUP_KEEP_DAILY if keep_daily is None else keep_daily
    weekly = settings.LINKSTAR_BACKUP_KEEP_WEEKLY if keep_weekly is None else keep_weekly
    archives = list_archives(directory)
    keep = retention_keep([t for t, _ in archives], keep_daily=daily, keep_weekly=weekly)
    deleted = []
    for stamp, path in archives:
        if stamp not in keep:
            path.unlink(missing_ok=True)
            deleted.append(path)
    if deleted:
        log.info("backup retention deleted %d archives in %s", len(deleted), directory)
    return deleted


@contextmanager
def _directory_lock(directory: Path):
    """An exclusive, non-blocking lock on the backup directory: yields False when another
    process (a second worker) holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_scheduled_backup(*, report: Callable[[str], None] | None = None) -> dict:
    """The daily job: one backup per UTC day into ``LINKSTAR_BACKUP_DIR``, then retention.

    Idempotent and safe when two workers run it at once: a lock on the directory lets one of them
    work, and a day that already has an archive gets no second one."""
    target = settings.LINKSTAR_BACKUP_DIR
    if not target:
        return {"status": "disabled", "reason": "LINKSTAR_BACKUP_DIR is not set"}
    directory = Path(target).expanduser().resolve()
    with _directory_lock(directory) as locked:
        if not locked:
            return {"status": "skipped", "reason": "another backup is running"}
        today = clock.now().astimezone(dt.UTC).date()
        existing = [p for t, p in list_archives(directory) if t.date() == today]
        created = None
        warnings: list[str] = []
        if not existing:
            result = create_backup(to=directory, include_keys=settings.LINKSTAR_BACKUP_INCLUDE_KEYS)
            created, warnings = result.path, result.warnings
            log.info("scheduled backup written: %s", created)
            if report:
                report(result.summary())
        deleted = apply_retention(directory)
    return {
        "status": "created" if created else "exists",
        "archive": str(created or existing[0]),
        "deleted": [p.name for p in deleted],
        "warnings": warnings,
    }


__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "BackupError",
    "BackupResult",
    "apply_retention",
    "create_backup",
    "list_archives",
    "retention_keep",
    "run_scheduled_backup",
]
