"""``linkstar backup`` while the app writes, then ``linkstar restore`` into a new data dir: every
row of every table and every stored file comes back (SQLite, the embedded default)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tests.support.backups import (
    linkstar,
    ok,
    sqlite_count,
    sqlite_tables,
    start_writer,
    stored_files,
)

pytestmark = pytest.mark.skipif(
    not Path(__import__("sys").executable).with_name("linkstar").exists(),
    reason="the linkstar script is not installed",
)

# Rows the writer changes in place after the snapshot (everything else it only inserts): the
# audit chain head moves on with every event, and a new upload of a document type marks the
# previous version as no longer current.
UPDATED_IN_PLACE = {"audit_auditchainhead", "documents_document", "projects_projectcodesequence"}


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def only_archive(directory: Path) -> Path:
    archives = sorted(directory.glob("linkstar-backup-*.tar.gz"))
    assert len(archives) == 1, archives
    return archives[0]


@pytest.fixture(scope="module")
def live_backup(demo_dir, tmp_path_factory):
    """A backup taken while a second process keeps writing; the writer is stopped afterwards."""
    out = tmp_path_factory.mktemp("backups-live")
    stop = out / "stop"
    writer = start_writer(demo_dir, stop)
    try:
        first = writer.stdout.readline()
        assert first.strip() == "1", writer.stderr.read()
        comments_before = sqlite_count(demo_dir, "projects_comment")
        result = linkstar(demo_dir, "backup", "--to", str(out))
        comments_after = sqlite_count(demo_dir, "projects_comment")
    finally:
        stop.touch()
        _out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        "archive": only_archive(out),
        "stdout": result.stdout,
        "comments_before": comments_before,
        "comments_after": comments_after,
    }


@pytest.fixture(scope="module")
def live_restored(live_backup, tmp_path_factory):
    target = tmp_path_factory.mktemp("restored-live") / "data"
    result = linkstar(target, "restore", str(live_backup["archive"]), "--data-dir", str(target))
    return target, result


def test_the_backup_ran_while_the_writer_kept_writing(live_backup):
    assert live_backup["comments_after"] > live_backup["comments_before"]
    assert "backup written:" in live_backup["stdout"]
    assert "keep this archive safe" in live_backup["stdout"]


def test_the_manifest_describes_the_archive(live_backup):
    manifest = manifest_of(live_backup["archive"])
    assert manifest["format"] == "linkstar-backup"
    assert manifest["format_version"] == 1
    assert manifest["created_at"].endswith("Z")
    assert manifest["linkstar_version"]
    assert manifest["database"]["engine"] == "sqlite"
    assert manifest["migrations"]["projects"].startswith("0")
    assert manifest["row_counts"]["accounts_organization"] == 1
    assert manifest["row_counts"]["audit_auditevent"] > 100
    assert manifest["keys"]["included"] is True
    assert {"secret_key", "keys/encryption", "keys/blind_index"} <= set(manifest["keys"]["paths"])
    kinds = {entry["kind"] for entry in manifest["files"]}
    assert kinds == {"database", "key", "file"}
    assert all(len(entry["sha256"]) == 64 and entry["size"] >= 0 for entry in manifest["files"])
    assert manifest["storage"]["files"] == sum(e["kind"] == "file" for e in manifest["files"])


def test_restore_verifies_the_audit_chain_and_the_row_counts(live_backup, live_restored):
    target, result = live_restored
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo: ok" in result.stdout
    assert "row counts: all" in result.stdout
    assert "restore complete" in result.stdout
    # The snapshot is one instant between the two counts taken around the backup.
    restored_comments = sqlite_count(target, "projects_comment")
    assert live_backup["comments_before"] <= restored_comments <= live_backup["comments_after"]


def test_every_row_of_the_snapshot_is_restored_and_only_later_rows_are_absent(
    demo_dir, live_restored
):
    target, result = live_restored
    assert result.returncode == 0, result.stdout + result.stderr
    source, restored = (
        sqlite_tables(demo_dir / "linkstar.sqlite3"),
        sqlite_tables(target / "linkstar.sqlite3"),
    )
    assert set(restored) == set(source)
    later = 0
    for table, (columns, rows) in source.items():
        restored_columns, restored_rows = restored[table]
        assert restored_columns == columns, table
        assert set(restored_rows) <= set(rows), f"{table}: restored rows the source never had"
        newest = max(restored_rows, default=0)
        for key, row in rows.items():
            if key > newest:
                later += 1  # written after the snapshot
                continue
            assert key in restored_rows, f"{table} row {key} lost"
            if table not in UPDATED_IN_PLACE:
                assert restored_rows[key] == row, f"{table} row {key} differs"
    assert later > 0  # the writer went on after the snapshot


def test_every_file_the_restored_data_uses_is_restored_byte_for_byte(demo_dir, live_restored):
    target, _result = live_restored
    source, restored = stored_files(demo_dir), stored_files(target)
    assert restored
    for name, content in restored.items():
        assert source[name] == content, name
    columns, rows = sqlite_tables(target / "linkstar.sqlite3")["documents_document"]
    storage_name = columns.index("storage_name")
    referenced = {row[storage_name] for row in rows.values()}
    assert referenced <= set(restored)
    assert len(referenced) > 90  # the demo's vault and the writer's uploads


def test_the_restored_keys_are_the_original_keys(demo_dir, live_restored):
    target, _result = live_restored
    assert (target / "secret_key").read_bytes() == (demo_dir / "secret_key").read_bytes()
    for name in ("encryption", "blind_index"):
        assert (target / "keys" / name).read_bytes() == (demo_dir / "keys" / name).read_bytes()
    assert (target / "keys" / "encryption").stat().st_mode & 0o777 == 0o600


def test_the_restored_app_reads_its_encrypted_fields(live_restored):
    target, _result = live_restored
    script = (
        "from linkstar.entities.models import SellerEntity;"
        "print(sorted(e.legal_rep_id_number for e in SellerEntity.objects.all())[0])"
    )
    result = linkstar(target, "manage", "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "330106199002150000"


# --- a quiescent backup: the restored installation equals the source exactly ------------------


@pytest.fixture(scope="module")
def quiet_backup(demo_dir, live_backup, tmp_path_factory):
    """Taken after the writer stopped (``live_backup`` stops it)."""
    out = tmp_path_factory.mktemp("backups-quiet")
    ok(demo_dir, "backup", "--to", str(out))
    return only_archive(out)


def test_a_restore_equals_the_source_in_every_row_of_every_table_and_every_file(
    demo_dir, quiet_backup, tmp_path
):
    target = tmp_path / "restored"
    out = ok(target, "restore", str(quiet_backup), "--data-dir", str(target))
    assert "restore complete" in out
    source = sqlite_tables(demo_dir / "linkstar.sqlite3")
    restored = sqlite_tables(target / "linkstar.sqlite3")
    assert set(restored) == set(source)
    for table in source:
        assert restored[table] == source[table], table
    assert stored_files(target) == stored_files(demo_dir)


def test_a_backup_without_keys_leaves_them_out_and_the_restore_says_so(demo_dir, tmp_path):
    out_dir = tmp_path / "out"
    stdout = ok(demo_dir, "backup", "--to", str(out_dir), "--without-keys")
    assert "NOT included" in stdout
    archive = only_archive(out_dir)
    manifest = manifest_of(archive)
    assert manifest["keys"] == {"included": False, "paths": [], "from_environment": []}
    assert not [e for e in manifest["files"] if e["kind"] == "key"]
    target = tmp_path / "restored"
    result = linkstar(target, "restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "holds no keys" in result.stdout
    assert "new ones were generated" in result.stdout


def test_the_manifest_carries_signed_audit_checkpoints_the_restore_checks(
    live_backup, live_restored
):
    """Each backup checkpoints the audit chains just before its snapshot: the manifest holds the
    signed checkpoint, the restore checks the restored chain against it and starts the restored
    installation's checkpoint file with it."""
    archive = live_backup["archive"]
    [point] = manifest_of(archive)["audit"]["checkpoints"]
    assert point["slug"] == "demo" and point["seq"] > 100 and len(point["sig"]) == 64
    target, result = live_restored
    assert "demo: ok, " in result.stdout
    assert f"(matches the manifest's checkpoint at #{point['seq']})" in result.stdout
    seeded = (target / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in seeded] == [point]
    verified = linkstar(target, "audit", "verify", "--archive", str(archive), "--no-checkpoint")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "demo: ok" in verified.stdout and "last checkpoint: #" in verified.stdout
