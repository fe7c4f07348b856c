"""Issue 17 §9: an oversize upload is refused before it is written in full — the upload handler
drops what is past the limit as it arrives — and a request declaring more than the request
limit is refused before it is read."""

from __future__ import annotations

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from linkstar.documents.models import Document
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient
from tests.support.files import pdf_bytes, upload


@pytest.fixture
def small_limit(settings):
    settings.LINKSTAR_UPLOAD_MAX_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024  # larger files go to temporary files
    return settings


def test_an_oversize_file_is_refused_and_never_stored_in_full(
    bob, entity, small_limit, monkeypatch
):
    written: list[int] = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        written.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    big = pdf_bytes("x" * (300 * 1024))
    client = ApiClient(bob)
    answer = client.client.post(
        f"/api/v1/orgs/acme/entities/{entity.pk}/documents",
        {
            "document_type": "business_license",
            "file": upload("licence.pdf", big, "application/pdf"),
        },
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    body = assert_error(answer, 422, "invalid_file")
    assert "64" in body["errors"][0]["message"]  # the limit, in words
    assert sum(written) <= 64 * 1024 + 65536  # at most the limit and one chunk reached a file
    assert not Document.objects.exists()
    # under the limit, the same upload goes through
    ok = client.client.post(
        f"/api/v1/orgs/acme/entities/{entity.pk}/documents",
        {"document_type": "business_license", "file": upload("licence.pdf", pdf_bytes("ok"))},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert ok.status_code == 201


def test_a_request_declaring_too_much_is_refused_before_it_is_read(bob, settings):
    settings.LINKSTAR_REQUEST_MAX_BYTES = 1024
    client = ApiClient(bob)
    answer = client.client.post(
        "/api/v1/orgs/acme/entities",
        data="{" + " " * 4096 + "}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert_error(answer, 413, "too_large")
