"""Stored files on S3-compatible storage (moto's S3 server): the backup walks the bucket through
the storage API, the restore writes every file into another, empty bucket."""

from __future__ import annotations

import json
import os
import sqlite3
import tarfile

import pytest

from tests.support.backups import LINKSTAR, linkstar, ok
from tests.support.s3 import KEYS

pytestmark = pytest.mark.skipif(
    not LINKSTAR.exists(), reason="the linkstar script is not installed"
)


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "LINKSTAR_S3_BUCKET": bucket,
        "LINKSTAR_S3_ENDPOINT_URL": endpoint,
        "LINKSTAR_S3_ACCESS_KEY_ID": KEYS["access_key"],
        "LINKSTAR_S3_SECRET_ACCESS_KEY": KEYS["secret_key"],
        "LINKSTAR_S3_REGION": "us-east-1",
    }


def bucket_contents(client, bucket: str) -> dict[str, bytes]:
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


@pytest.fixture
def buckets(s3_endpoint):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    names = [f"linkstar-bk-{os.getpid()}-src", f"linkstar-bk-{os.getpid()}-dst"]
    for name in names:
        client.create_bucket(Bucket=name)
    yield client, names
    for name in names:
        for item in client.list_objects_v2(Bucket=name).get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)


def test_files_on_s3_are_backed_up_and_restored_into_an_empty_bucket(
    demo_dir,
    buckets,
    s3_endpoint,
    tmp_path,
):
    client, (src, dst) = buckets
    # The demo installation with its first documents (fewer requests to the S3 server), their
    # files moved to the source bucket.
    source = tmp_path / "source"
    (source / "keys").mkdir(parents=True)
    live = sqlite3.connect(demo_dir / "linkstar.sqlite3")
    copy = sqlite3.connect(source / "linkstar.sqlite3")
    live.backup(copy)
    live.close()
    kept = "SELECT id FROM documents_document ORDER BY id LIMIT 6"
    copy.execute(f"DELETE FROM documents_taskattachment WHERE document_id NOT IN ({kept})")
    copy.execute(f"DELETE FROM documents_document WHERE id NOT IN ({kept})")
    copy.commit()
    names = [r[0] for r in copy.execute("SELECT storage_name FROM documents_document")]
    copy.close()
    assert len(names) == 6
    for name in ("secret_key", "keys/encryption", "keys/blind_index", "keys/audit"):
        (source / name).write_bytes((demo_dir / name).read_bytes())
    for name in names:
        client.put_object(Bucket=src, Key=name, Body=(demo_dir / "files" / name).read_bytes())
    original = bucket_contents(client, src)

    out = ok(source, "backup", "--to", str(tmp_path / "out"), extra=s3_env(s3_endpoint, src))
    archive = next((tmp_path / "out").glob("linkstar-backup-*.tar.gz"))
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["storage"]["backend"] == "S3Storage"
    assert manifest["storage"]["files"] == len(original)
    assert f"stored files: {len(original)}" in out

    target = tmp_path / "restored"
    result = linkstar(
        target, "restore", str(archive), "--data-dir", str(target), extra=s3_env(s3_endpoint, dst)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "document files: all" in result.stdout
    assert bucket_contents(client, dst) == original
    assert not (target / "files").exists()

    # The destination bucket is no longer empty: a second restore is refused and undone.
    other = tmp_path / "other"
    again = linkstar(
        other, "restore", str(archive), "--data-dir", str(other), extra=s3_env(s3_endpoint, dst)
    )
    assert again.returncode == 2
    assert "the file storage (S3Storage) is not empty" in again.stderr
    assert not other.exists() or not [p for p in other.iterdir() if p.name != "static"]
