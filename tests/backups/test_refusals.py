"""``linkstar restore`` refuses, before writing anything, a damaged archive (a changed byte, a
missing or extra member, a truncated file) and a target that is not empty, naming what is wrong."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
from pathlib import Path

import pytest

from tests.support.backups import LINKSTAR, linkstar, ok

pytestmark = pytest.mark.skipif(
    not LINKSTAR.exists(), reason="the linkstar script is not installed"
)


@pytest.fixture(scope="module")
def archive(demo_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("backups-refusals")
    ok(demo_dir, "backup", "--to", str(out))
    return next(out.glob("linkstar-backup-*.tar.gz"))


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path, "r:gz") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def repack(source: Path, dest: Path, change) -> Path:
    """A copy of the archive with its members passed through ``change(name, data)``, which
    returns the new bytes, or None to drop the member."""
    with tarfile.open(dest, "w:gz") as tar:
        for info, data in members(source):
            new = change(info.name, data)
            if new is None:
                continue
            info.size = len(new)
            tar.addfile(info, io.BytesIO(new))
    return dest


def first_document(path: Path) -> str:
    return next(m.name for m, _ in members(path) if m.name.startswith("files/"))


def refused(archive: Path, target: Path) -> str:
    result = linkstar(target, "restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 2, result.stdout + result.stderr
    assert not target.exists() or not any(target.iterdir()), "the refusal wrote something"
    return result.stderr


def test_a_changed_byte_inside_a_stored_file_is_refused_naming_the_file(archive, tmp_path):
    victim = first_document(archive)

    def flip(name, data):
        if name != victim:
            return data
        return data[:100] + bytes([data[100] ^ 0x01]) + data[101:]

    damaged = repack(archive, tmp_path / "flipped.tar.gz", flip)
    error = refused(damaged, tmp_path / "target")
    assert "damaged" in error
    assert f"{victim}: checksum mismatch" in error


def test_a_changed_byte_in_the_compressed_archive_is_refused(archive, tmp_path):
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / archive.name
    damaged.write_bytes(bytes(data))
    error = refused(damaged, tmp_path / "target")
    assert "damaged" in error or "truncated" in error or "checksum" in error


def test_a_missing_file_is_refused_naming_it(archive, tmp_path):
    victim = first_document(archive)
    damaged = repack(
        archive, tmp_path / "missing.tar.gz", lambda name, data: None if name == victim else data
    )
    error = refused(damaged, tmp_path / "target")
    assert f"{victim}: listed in the manifest but missing from the archive" in error


def test_a_file_the_manifest_does_not_list_is_refused(archive, tmp_path):
    damaged = tmp_path / "extra.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        extra = tarfile.TarInfo("files/documents/1/smuggled.pdf")
        extra.size = 3
        tar.addfile(extra, io.BytesIO(b"bad"))
        for info, data in members(archive):
            tar.addfile(info, io.BytesIO(data))
    error = refused(damaged, tmp_path / "target")
    assert "files/documents/1/smuggled.pdf: in the archive but not in the manifest" in error


def test_a_truncated_archive_is_refused(archive, tmp_path):
    damaged = tmp_path / archive.name
    data = archive.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    error = refused(damaged, tmp_path / "target")
    assert "truncated" in error


def test_an_archive_without_its_manifest_is_refused(archive, tmp_path):
    damaged = repack(
        archive,
        tmp_path / "nomanifest.tar.gz",
        lambda name, data: None if name == "manifest.json" else data,
    )
    error = refused(damaged, tmp_path / "target")
    assert "has no manifest.json" in error


def test_a_tampered_manifest_is_refused(archive, tmp_path):
    def tamper(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["files"][0]["sha256"] = "0" * 64
        return json.dumps(manifest).encode()

    damaged = repack(archive, tmp_path / "tampered.tar.gz", tamper)
    error = refused(damaged, tmp_path / "target")
    assert "checksum mismatch" in error


def test_a_non_empty_data_dir_is_refused_and_left_as_it_was(archive, tmp_path):
    target = tmp_path / "used"
    (target / "keys").mkdir(parents=True)
    (target / "keys" / "encryption").write_text("a key in use")
    result = linkstar(target, "restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert "keys/" in result.stderr
    assert (target / "keys" / "encryption").read_text() == "a key in use"
    assert sorted(p.name for p in target.iterdir()) == ["keys"]


def test_a_restored_data_dir_refuses_a_second_restore(archive, tmp_path):
    target = tmp_path / "data"
    ok(target, "restore", str(archive), "--data-dir", str(target))
    before = (target / "linkstar.sqlite3").read_bytes()
    result = linkstar(target, "restore", str(archive), "--data-dir", str(target))
    assert result.returncode == 2
    assert "linkstar.sqlite3" in result.stderr
    assert (target / "linkstar.sqlite3").read_bytes() == before


def test_an_archive_that_does_not_exist_is_refused(tmp_path):
    result = linkstar(tmp_path / "t", "restore", str(tmp_path / "nope.tar.gz"))
    assert result.returncode == 2
    assert "no archive at" in result.stderr


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    bogus = tmp_path / "linkstar-backup-20250101T000000Z.tar.gz"
    bogus.write_bytes(b"this is not a tar.gz at all" * 10)
    error = refused(bogus, tmp_path / "target")
    assert "not a LinkStar backup" in error or "damaged" in error


def test_a_sqlite_archive_is_not_restored_into_postgresql(archive, tmp_path):
    """The engine check needs no server: the DATABASE_URL is refused before any connection
    only when it is not PostgreSQL; an unreachable PostgreSQL is a clear error too."""
    target = tmp_path / "target"
    result = linkstar(
        target,
        "restore",
        str(archive),
        "--data-dir",
        str(target),
        database_url="postgres://nobody@127.0.0.1:1/none",
    )
    assert result.returncode == 2
    assert "cannot connect to PostgreSQL" in result.stderr
    assert not target.exists()


def test_the_damage_message_reads_well(archive, tmp_path):
    data = archive.read_bytes()
    damaged = tmp_path / archive.name
    damaged.write_bytes(data[:-200])
    error = refused(damaged, tmp_path / "t")
    assert error.startswith("error: the archive ")
    shutil.rmtree(tmp_path / "t", ignore_errors=True)


# --- restored, but not matching: exit status 1 and a summary naming the mismatch ---------------


def test_row_counts_that_differ_from_the_manifest_fail_the_restore(archive, tmp_path):
    def recount(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["row_counts"]["projects_storeproject"] += 1
        return json.dumps(manifest).encode()

    changed = repack(archive, tmp_path / "recounted.tar.gz", recount)
    target = tmp_path / "target"
    result = linkstar(target, "restore", str(changed), "--data-dir", str(target))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "table projects_storeproject:" in result.stdout
    assert "the manifest says" in result.stdout
    assert "MISMATCHES" in result.stdout


def test_a_database_with_an_altered_audit_event_fails_the_restore(archive, tmp_path):
    """A snapshot whose audit trail was edited (and the manifest rewritten to match) restores,
    but the chain verification catches it."""
    import hashlib
    import sqlite3

    work = tmp_path / "db.sqlite3"
    entries = dict((m.name, d) for m, d in members(archive))
    work.write_bytes(entries["database/linkstar.sqlite3"])
    db = sqlite3.connect(work)
    db.execute("UPDATE audit_auditevent SET object_repr = 'forged' WHERE seq = 3")
    db.commit()
    db.close()
    forged = work.read_bytes()

    def forge(name, data):
        if name == "database/linkstar.sqlite3":
            return forged
        if name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] == "database/linkstar.sqlite3":
                    entry["sha256"] = hashlib.sha256(forged).hexdigest()
                    entry["size"] = len(forged)
            return json.dumps(manifest).encode()
        return data

    changed = repack(archive, tmp_path / "forged.tar.gz", forge)
    target = tmp_path / "target"
    result = linkstar(target, "restore", str(changed), "--data-dir", str(target))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "demo: BROKEN — event #3 was altered" in result.stdout


def _with_database(archive: Path, tmp_path: Path, change_db, change_manifest=None) -> Path:
    """A copy of the archive whose database went through ``change_db(sqlite connection)``, the
    manifest's checksums (and ``change_manifest``) made to match."""
    work = tmp_path / "db.sqlite3"
    entries = dict((m.name, d) for m, d in members(archive))
    work.write_bytes(entries["database/linkstar.sqlite3"])
    db = sqlite3.connect(work)
    change_db(db)
    db.commit()
    db.close()
    forged = work.read_bytes()

    def forge(name, data):
        if name == "database/linkstar.sqlite3":
            return forged
        if name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] == "database/linkstar.sqlite3":
                    entry["sha256"] = hashlib.sha256(forged).hexdigest()
                    entry["size"] = len(forged)
            if change_manifest:
                change_manifest(manifest)
            return json.dumps(manifest).encode()
        return data

    return repack(archive, tmp_path / "forged.tar.gz", forge)


def test_a_snapshot_whose_newest_audit_events_were_removed_fails_the_restore(archive, tmp_path):
    """The newest audit events deleted and the chain head rewound (a consistent chain, which
    the first version passed), row counts made to match: the manifest's signed checkpoint
    still records the removed events."""

    def rewind(db):
        [(org, last)] = db.execute("SELECT organization_id, last_seq FROM audit_auditchainhead")
        db.execute(
            "DELETE FROM audit_auditevent WHERE organization_id = ? AND seq > ?", [org, last - 3]
        )
        [(new_hash,)] = db.execute(
            "SELECT hash FROM audit_auditevent WHERE organization_id = ? AND seq = ?",
            [org, last - 3],
        )
        db.execute(
            "UPDATE audit_auditchainhead SET last_seq = ?, last_hash = ? WHERE organization_id = ?",
            [last - 3, new_hash, org],
        )

    def counts(manifest):
        manifest["row_counts"]["audit_auditevent"] -= 3

    changed = _with_database(archive, tmp_path, rewind, counts)
    target = tmp_path / "target"
    result = linkstar(target, "restore", str(changed), "--data-dir", str(target))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "row counts: all" in result.stdout
    assert "demo: BROKEN — the chain ends at #" in result.stdout
    assert "the chain head rewound" in result.stdout


def test_a_forged_audit_checkpoint_in_the_manifest_fails_the_restore(archive, tmp_path):
    def forge(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["audit"]["checkpoints"][0]["seq"] -= 1
            return json.dumps(manifest).encode()
        return data

    changed = repack(archive, tmp_path / "forged.tar.gz", forge)
    target = tmp_path / "target"
    result = linkstar(target, "restore", str(changed), "--data-dir", str(target))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "demo: BROKEN — checkpoint line 1 of the manifest was forged or altered" in result.stdout
