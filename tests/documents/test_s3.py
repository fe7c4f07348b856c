"""Documents on S3-compatible object storage (django-storages), against moto's S3 server run as a
separate process on a free local port: upload → download → same SHA-256 → delete."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linkstar.documents import services
from linkstar.documents.models import Document
from linkstar.documents.services import document_storage, upload_document
from tests.support.clients import client_for
from tests.support.files import pdf_bytes, upload
from tests.support.s3 import BUCKET, KEYS


@pytest.fixture
def s3(s3_endpoint, settings):
    """A fresh bucket, and the "documents" storage pointed at it."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
                **KEYS,
            },
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_upload_download_and_delete_round_trip_on_s3(s3, as_alice, bob, entity):
    content = pdf_bytes("stored in the bucket")
    document = upload_document(
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=upload("营业执照.pdf", content, "application/pdf"),
    )
    assert "S3Storage" in type(document_storage()).__name__
    assert _keys(s3) == [document.storage_name]
    stored = s3.get_object(Bucket=BUCKET, Key=document.storage_name)["Body"].read()
    assert stored == content

    response = client_for(bob).get(f"/o/acme/documents/{document.pk}/download/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert (
        hashlib.sha256(body).hexdigest() == document.sha256 == hashlib.sha256(content).hexdigest()
    )
    assert (
        "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"
        in response["Content-Disposition"]
    )

    document_storage().delete(document.storage_name)
    assert _keys(s3) == []


def test_a_failed_upload_leaves_no_object_in_the_bucket(s3, as_alice, entity, monkeypatch):
    monkeypatch.setattr(
        services, "record_many", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError):
        upload_document(
            actor=as_alice,
            entity=entity,
            document_type="business_license",
            file=upload("营业执照.pdf", pdf_bytes()),
        )
    assert Document.objects.count() == 0
    assert _keys(s3) == []


def test_settings_switch_to_s3_when_a_bucket_is_configured(tmp_path):
    code = (
        "import json, linkstar.settings as s; "
        "print(json.dumps([s.STORAGES['documents'], s.STORAGES['default']]))"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LINKSTAR_DATA_DIR": str(tmp_path),
        "LINKSTAR_S3_BUCKET": "docs",
        "LINKSTAR_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "LINKSTAR_S3_ACCESS_KEY_ID": "AK",
        "LINKSTAR_S3_SECRET_ACCESS_KEY": "SK",
        "LINKSTAR_S3_REGION": "eu-central-1",
    }
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    documents, default = json.loads(out.stdout)
    assert documents == default
    assert documents["BACKEND"] == "storages.backends.s3.S3Storage"
    options = documents["OPTIONS"]
    assert options["bucket_name"] == "docs"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert (options["access_key"], options["secret_key"]) == ("AK", "SK")
    assert options["region_name"] == "eu-central-1"
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
