"""Running the ``linkstar`` command in subprocesses, each with its own data directory, as the
backup tests do, and reading what it left."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

LINKSTAR = Path(sys.executable).with_name("linkstar")


# The writer script lives beside the backup tests.
BACKUP_TESTS = Path(__file__).resolve().parents[1] / "backups"


def cli_env(
    data_dir: Path, database_url: str | None = None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    drop = {"DATABASE_URL", "DATABASE_URL_FILE", "LINKSTAR_BACKUP_DIR", "LINKSTAR_S3_BUCKET"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["LINKSTAR_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "linkstar.settings"
    env["LINKSTAR_LOG_LEVEL"] = "WARNING"
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def linkstar(
    data_dir: Path, *args: str, database_url: str | None = None, extra: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINKSTAR), *args],
        env=cli_env(data_dir, database_url, extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ok(
    data_dir: Path, *args: str, database_url: str | None = None, extra: dict | None = None
) -> str:
    result = linkstar(data_dir, *args, database_url=database_url, extra=extra)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def start_writer(data_dir: Path, stop_file: Path) -> subprocess.Popen:
    """A second process that keeps creating projects, comments and documents until told to
    stop; it prints a line after each round."""
    return subprocess.Popen(
        [sys.executable, str(BACKUP_TESTS / "writer.py"), str(stop_file)],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sqlite_tables(db_path: Path) -> dict[str, tuple[list[str], dict[int, tuple]]]:
    """Every table of a SQLite database: its columns and its rows by rowid (the primary key of
    every Django table with an integer key)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        tables = {}
        for name in names:
            cursor = db.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid')
            columns = [c[0] for c in cursor.description][1:]
            tables[name] = (columns, {row[0]: row[1:] for row in cursor})
        return tables
    finally:
        db.close()


def stored_files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "files"
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def sqlite_count(data_dir: Path, table: str) -> int:
    db = sqlite3.connect(data_dir / "linkstar.sqlite3", timeout=30)
    try:
        return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    finally:
        db.close()


DEMO_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from linkstar.catalog.services import load_catalog
from linkstar.playbooks.services import load_builtin_templates
from linkstar.demo import create_demo
call_command("migrate", interactive=False, verbosity=0)
load_catalog()
load_builtin_templates()
create_demo()
"""


def make_demo(data_dir: Path, database_url: str | None = None) -> None:
    """What ``linkstar init`` then ``linkstar demo`` do, in one process and without
    collectstatic (the static files are not data and are not backed up)."""
    result = subprocess.run(
        [sys.executable, "-c", DEMO_SCRIPT],
        env=cli_env(data_dir, database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
