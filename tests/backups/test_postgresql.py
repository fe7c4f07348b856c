"""The PostgreSQL round trip (``pg_dump``/``pg_restore``), run in the PostgreSQL pass of
``make test`` (``DATABASE_URL`` points at the server): the demo in a throwaway database, backed
up, restored into a second, empty throwaway database, compared row by row and file by file."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import pytest

from linkstar.backups.database import PgTarget, _tool
from linkstar.backups.errors import BackupError
from tests.support.backups import LINKSTAR, linkstar, make_demo, ok, stored_files

URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = URL.startswith(("postgres://", "postgresql://"))


def _server() -> PgTarget:
    config = dj_database_url.parse(URL)
    return PgTarget(
        name="postgres",
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or "",
        host=config.get("HOST") or "127.0.0.1",
        port=str(config.get("PORT") or ""),
    )


def _url(server: PgTarget, name: str) -> str:
    auth = server.user + (f":{server.password}" if server.password else "")
    return f"postgres://{auth}@{server.host}:{server.port or 5432}/{name}"


@pytest.fixture(scope="module")
def databases():
    """Two throwaway databases, ``linkstar_bk_<pid>_src`` and ``_dst``, dropped afterwards."""
    server = _server()
    names = [f"linkstar_bk_{os.getpid()}_src", f"linkstar_bk_{os.getpid()}_dst"]
    conn = server.connect(autocommit=True)
    try:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield server, [_url(server, n) for n in names], names
    finally:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def dump(server: PgTarget, name: str) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order."""
    target = PgTarget(server.name, server.user, server.password, server.host, server.port)
    target.name = name
    conn = target.connect(autocommit=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }
    finally:
        conn.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL does not point at PostgreSQL")
@pytest.mark.skipif(not LINKSTAR.exists(), reason="the linkstar script is not installed")
def test_a_postgresql_backup_restores_every_row_and_file_into_an_empty_database(
    databases, tmp_path
):
    server, (src_url, dst_url), (src_name, dst_name) = databases
    source = tmp_path / "source"
    make_demo(source, database_url=src_url)
    out = ok(source, "backup", "--to", str(tmp_path / "out"), database_url=src_url)
    assert "database: postgresql" in out
    archive = next((tmp_path / "out").glob("linkstar-backup-*.tar.gz"))

    target = tmp_path / "restored"
    result = linkstar(
        target, "restore", str(archive), "--data-dir", str(target), database_url=dst_url
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo: ok" in result.stdout
    assert "row counts: all" in result.stdout

    before, after = dump(server, src_name), dump(server, dst_name)
    assert set(after) == set(before)
    for table in before:
        assert after[table] == before[table], table
    assert stored_files(target) == stored_files(source)
    assert (target / "keys" / "encryption").read_bytes() == (
        source / "keys" / "encryption"
    ).read_bytes()

    again = linkstar(
        tmp_path / "other",
        "restore",
        str(archive),
        "--data-dir",
        str(tmp_path / "other"),
        database_url=dst_url,
    )
    assert again.returncode == 2
    assert f"the database {dst_name} is not empty" in again.stderr


def _fake_tool(directory: Path, name: str, version_line: str) -> None:
    directory.mkdir(exist_ok=True)
    script = directory / name
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(0o755)


def test_a_pg_dump_of_another_major_version_is_refused_clearly(tmp_path, monkeypatch):
    _fake_tool(tmp_path / "bin", "pg_dump", "pg_dump (PostgreSQL) 14.11")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(BackupError) as refusal:
        _tool("pg_dump", 15)
    assert "pg_dump is version 14" in str(refusal.value)
    assert "PostgreSQL 15" in str(refusal.value)


def test_a_missing_pg_dump_is_refused_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError) as refusal:
        _tool("pg_dump", 15)
    assert "pg_dump is not installed" in str(refusal.value)
