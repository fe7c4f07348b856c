"""Consistent database snapshots and their restoration, for SQLite and PostgreSQL.

SQLite: the online backup API copies every page inside one read transaction, so the copy is the
database as it was at one instant, while the application goes on writing (WAL mode lets writers
continue). PostgreSQL: ``pg_dump --format=custom`` run on a snapshot exported by a repeatable-read
transaction; the row counts and the migration state of the manifest are read in that same
transaction, so they describe exactly what the dump holds.

Nothing here needs Django to be set up: the restore side runs before the settings are loaded (so
that the settings read the restored keys, not freshly generated ones).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from linkstar.backups.errors import BackupError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass
class Snapshot:
    engine: str
    path: Path  # the snapshot file (SQLite database or pg_dump custom archive)
    row_counts: dict[str, int] = field(default_factory=dict)
    migrations: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_facts(db: sqlite3.Connection) -> tuple[dict[str, int], dict[str, str]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    migrations = {}
    if "django_migrations" in tables:
        migrations = dict(
            db.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
        )
    return counts, migrations


def sqlite_snapshot(source: Path, dest: Path) -> Snapshot:
    """Copy the live database ``source`` into ``dest`` with the online backup API (one step, so
    one read transaction: a consistent instant) and describe the copy."""
    if not source.exists():
        raise BackupError(f"no database at {source}: run `linkstar init` first")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: everything in one step, under one read lock
    finally:
        src.close()
    try:
        # A self-contained single file (no -wal beside it); the app switches it back to WAL.
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the database snapshot fails SQLite's integrity check: {check}")
        counts, migrations = _sqlite_facts(dst)
        version = dst.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        dst.close()
    return Snapshot(
        SQLITE, dest, counts, migrations, {"server_version": version, "method": "online backup"}
    )


def sqlite_restore(snapshot: Path, target: Path) -> None:
    """Put the snapshot in place (written beside the target, then renamed: all or nothing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(snapshot, partial)
    db = sqlite3.connect(partial)
    try:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the restored SQLite database fails its integrity check: {check}")
    partial.chmod(0o600)
    partial.replace(target)


def sqlite_facts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return _sqlite_facts(db)[0]
    finally:
        db.close()


# --- PostgreSQL --------------------------------------------------------------------------------


@dataclass
class PgTarget:
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_django(cls, db: dict) -> PgTarget:
        return cls(
            name=str(db.get("NAME") or ""),
            user=str(db.get("USER") or ""),
            password=str(db.get("PASSWORD") or ""),
            host=str(db.get("HOST") or ""),
            port=str(db.get("PORT") or ""),
        )

    def connect(self, **kwargs):
        params = {"dbname": self.name, "connect_timeout": 10}
        for key, value in (
            ("user", self.user),
            ("password", self.password),
            ("host", self.host),
            ("port", self.port),
        ):
            if value:
                params[key] = value
        try:
            return psycopg.connect(**params, **kwargs)
        except psycopg.OperationalError as exc:
            raise BackupError(
                f"cannot connect to PostgreSQL database {self.name!r}: {exc}"
            ) from exc

    def tool_args(self) -> list[str]:
        args = []
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return args

    def tool_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _tool(name: str, server_major: int) -> tuple[str, str]:
    """The path and version line of ``pg_dump``/``pg_restore``, of the server's major version."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL {server_major} client tools "
            f"(e.g. `apt-get install postgresql-client-{server_major}`)"
        )
    line = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    match = re.search(r"\)\s*(\d+)", line) or re.search(r"(\d+)\.\d+", line)
    major = int(match.group(1)) if match else -1
    if major != server_major:
        raise BackupError(
            f"{name} is version {major if major >= 0 else '?'} ({line or path}) but the server "
            f"runs PostgreSQL {server_major}: install the client tools of major version "
            f"{server_major}"
        )
    return path, line


def _server_major(conn) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _pg_facts(conn) -> tuple[dict[str, int], dict[str, str]]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    ]
    counts = {
        t: conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in tables
    }
    migrations = {}
    if "django_migrations" in tables:
        migrations = dict(
            conn.execute(
                "SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app"
            ).fetchall()
        )
    return counts, migrations


def pg_snapshot(target: PgTarget, dest: Path) -> Snapshot:
    """``pg_dump --format=custom`` of one exported snapshot, with the counts read in it."""
    conn = target.connect(autocommit=True)
    try:
        major = _server_major(conn)
        pg_dump, version_line = _tool("pg_dump", major)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts, migrations = _pg_facts(conn)
        result = subprocess.run(
            [
                pg_dump,
                *target.tool_args(),
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot_id}",
                f"--file={dest}",
                "--dbname",
                target.name,
            ],
            env=target.tool_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        conn.execute("COMMIT")
        server_version = conn.execute("SHOW server_version").fetchone()[0]
    finally:
        conn.close()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip() or result.returncode}")
    return Snapshot(
        POSTGRESQL,
        dest,
        counts,
        migrations,
        {
            "server_version": server_version,
            "method": "pg_dump --format=custom",
            "tool": version_line,
        },
    )


def pg_is_empty(target: PgTarget) -> tuple[bool, list[str]]:
    conn = target.connect(autocommit=True)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
            )
        ]
    finally:
        conn.close()
    return not tables, tables


def pg_check_tools(target: PgTarget) -> str:
    conn = target.connect(autocommit=True)
    try:
        major = _server_major(conn)
    finally:
        conn.close()
    return _tool("pg_restore", major)[0]


def pg_restore(target: PgTarget, dump: Path) -> None:
    """``pg_restore`` into the empty database, in one transaction: all of it or nothing."""
    pg_restore_bin = pg_check_tools(target)
    result = subprocess.run(
        [
            pg_restore_bin,
            *target.tool_args(),
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            target.name,
            str(dump),
        ],
        env=target.tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip() or result.returncode}")


def pg_facts(target: PgTarget) -> dict[str, int]:
    conn = target.connect(autocommit=True)
    try:
        return _pg_facts(conn)[0]
    finally:
        conn.close()
