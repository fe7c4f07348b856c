"""Downloads stream the exact bytes, only through permission-checked views, with a
Content-Disposition that carries a Chinese name; nothing is reachable by a public URL."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from linkstar.documents.downloads import content_disposition
from linkstar.documents.services import upload_document
from tests.support.clients import ApiClient, client_for
from tests.support.files import licence, pdf_bytes, upload

NAME = "营业执照（2026）.pdf"


@pytest.fixture
def document(as_alice, entity):
    return upload_document(
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=upload(NAME, pdf_bytes("Xinghe licence"), "application/pdf"),
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _assert_file_response(response, document):
    assert response.status_code == 200
    assert response.streaming
    body = _body(response)
    assert body == pdf_bytes("Xinghe licence")
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(body))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in disposition
    assert f'filename="document-{document.pk}.pdf"' in disposition  # ASCII fallback
    assert disposition.isascii()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_web_download_streams_the_exact_bytes_with_a_chinese_name(bob, document):
    response = client_for(bob).get(f"/o/acme/documents/{document.pk}/download/")
    _assert_file_response(response, document)


def test_api_download_streams_the_exact_bytes_with_a_chinese_name(bob, document):
    response = ApiClient(bob).get(f"/orgs/acme/documents/{document.pk}/download")
    _assert_file_response(response, document)


def test_another_organizations_document_is_not_found(mallory, document):
    web = client_for(mallory)
    assert web.get(f"/o/acme/documents/{document.pk}/download/").status_code == 404
    assert web.get(f"/o/evil/documents/{document.pk}/download/").status_code == 404
    assert web.get(f"/o/evil/documents/{document.pk}/").status_code == 404
    api = ApiClient(mallory)
    for path in (
        f"/orgs/evil/documents/{document.pk}/download",
        f"/orgs/acme/documents/{document.pk}/download",
        f"/orgs/evil/documents/{document.pk}",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "Xinghe" not in response.content.decode()


def test_members_who_may_not_see_the_entitys_documents_get_404(carol, grace, document, api):
    # carol is on no project of this entity yet, grace is the client of another entity
    for user in (carol, grace):
        assert client_for(user).get(f"/o/acme/documents/{document.pk}/download/").status_code == 404
        assert api(user).get(f"/orgs/acme/documents/{document.pk}/download").status_code == 404


def test_operator_on_a_project_of_the_entity_downloads(carol, project, document):
    response = client_for(carol).get(f"/o/acme/documents/{document.pk}/download/")
    assert response.status_code == 200


def test_signed_out_download_goes_to_the_login_page(client, document):
    response = client.get(f"/o/acme/documents/{document.pk}/download/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ApiClient().get(f"/orgs/acme/documents/{document.pk}/download").status_code == 401


def test_stored_files_have_no_public_url(bob, document):
    web = client_for(bob)
    for url in (
        f"/{document.storage_name}",
        f"/files/{document.storage_name}",
        f"/media/{document.storage_name}",
        f"/static/{document.storage_name}",
    ):
        assert web.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("licence.pdf", "attachment; filename=\"licence.pdf\"; filename*=UTF-8''licence.pdf"),
        (
            "营业执照.pdf",
            "attachment; filename=\"document-7.pdf\"; filename*=UTF-8''"
            "%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf",
        ),
        (
            'a "quoted";name.pdf',
            "attachment; filename=\"a _quoted__name.pdf\"; filename*=UTF-8''"
            "a%20%22quoted%22%3Bname.pdf",
        ),
        ("Café.pdf", "attachment; filename=\"Cafe.pdf\"; filename*=UTF-8''Caf%C3%A9.pdf"),
    ],
)
def test_content_disposition(name, expected):
    assert content_disposition(name, fallback="document-7.pdf") == expected


def test_a_superseded_version_still_downloads(bob, as_alice, entity, document):
    upload_document(actor=as_alice, entity=entity, document_type="business_license", file=licence())
    response = client_for(bob).get(f"/o/acme/documents/{document.pk}/download/")
    assert _body(response) == pdf_bytes("Xinghe licence")
