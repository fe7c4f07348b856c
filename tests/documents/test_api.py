"""The vault's REST endpoints as a client program uses them."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from linkstar.documents.models import Document
from linkstar.documents.services import attach_document, upload_document
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient
from tests.support.files import exe_bytes, licence, pdf_bytes, png_bytes, stored_files, upload


def post_file(client: ApiClient, path: str, *, file, **fields):
    return client.client.post("/api/v1" + path, data={"file": file, **fields}, **client._headers())


def test_upload_answers_201_with_the_document(bob, entity, api, vault_dir):
    content = pdf_bytes("licence")
    r = post_file(
        api(bob),
        f"/orgs/acme/entities/{entity.pk}/documents",
        file=upload("营业执照.pdf", content),
        document_type="business_license",
        issue_date="2021-03-01",
        expiry_date="2031-02-28",
        notes="彩色扫描件",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["original_name"] == "营业执照.pdf"
    assert body["document_type"] == "business_license"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["content_type"] == "application/pdf"
    assert (body["issue_date"], body["expiry_date"]) == ("2021-03-01", "2031-02-28")
    assert body["status"] == "valid" and body["is_current"] and body["version_number"] == 1
    assert body["download_url"] == f"/api/v1/orgs/acme/documents/{body['id']}/download"
    assert "storage_name" not in body
    assert len(stored_files(vault_dir)) == 1


@pytest.mark.parametrize(
    ("name", "content", "fields", "field"),
    [
        ("licence.pdf", exe_bytes(), {}, "file"),
        ("licence.pdf.exe", exe_bytes(), {}, "file"),
        ("licence.pdf", b"", {}, "file"),
        ("licence.pdf", png_bytes(), {}, "file"),
        ("licence.pdf", pdf_bytes(), {"document_type": "nope"}, "document_type"),
        ("licence.pdf", pdf_bytes(), {"expiry_date": "2020-13-01"}, "expiry_date"),
        (
            "licence.pdf",
            pdf_bytes(),
            {"issue_date": "2024-01-02", "expiry_date": "2024-01-01"},
            "expiry_date",
        ),
    ],
)
def test_bad_uploads_answer_422_naming_the_field_and_store_nothing(
    bob, entity, api, vault_dir, name, content, fields, field
):
    data = {"document_type": "business_license", **fields}
    r = post_file(
        api(bob), f"/orgs/acme/entities/{entity.pk}/documents", file=upload(name, content), **data
    )
    body = assert_error(r, 422)
    assert field in [e["field"] for e in body["errors"]], body
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_upload_without_a_file_is_422(bob, entity, api):
    r = api(bob).client.post(
        f"/api/v1/orgs/acme/entities/{entity.pk}/documents",
        data={"document_type": "business_license"},
        **api(bob)._headers(),
    )
    body = assert_error(r, 422)
    assert body["errors"][0]["field"] == "file"


def test_a_path_in_a_multipart_file_name_never_reaches_the_storage(bob, entity, api, vault_dir):
    """Django's multipart parser keeps only the last part of a sent name; the vault stores
    under a generated name anyway."""
    r = post_file(
        api(bob),
        f"/orgs/acme/entities/{entity.pk}/documents",
        file=upload("../../etc/营业执照.pdf", pdf_bytes()),
        document_type="business_license",
    )
    assert r.status_code == 201, r.content
    assert r.json()["original_name"] == "营业执照.pdf"
    (path,) = stored_files(vault_dir)
    assert path.is_relative_to(vault_dir / "documents")


def test_client_of_another_entity_and_auditor_are_refused(grace, frank, entity, api):
    r = post_file(
        api(grace),
        f"/orgs/acme/entities/{entity.pk}/documents",
        file=licence(),
        document_type="business_license",
    )
    assert_error(r, 404, "not_found")
    r = post_file(
        api(frank),
        f"/orgs/acme/entities/{entity.pk}/documents",
        file=licence(),
        document_type="business_license",
    )
    assert_error(r, 403, "permission_denied")
    assert Document.objects.count() == 0


@pytest.fixture
def two_versions(as_alice, entity):
    v1 = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=licence("营业执照-旧.pdf"),
        expiry_date=dt.date(2021, 1, 1),
    )
    v2 = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=licence(),
    )
    return v1, v2


def test_detail_lists_versions_and_uses(bob, as_carol, project, two_versions, api):
    v1, v2 = two_versions
    task = project.tasks.get(key="prepare-license")
    attach_document(actor=as_carol, task=task, document=v2)
    body = api(bob).get(f"/orgs/acme/documents/{v1.pk}").json()
    assert body["is_current"] is False and body["status"] == "expired"
    assert [(v["id"], v["version_number"], v["is_current"]) for v in body["versions"]] == [
        (v2.pk, 2, True),
        (v1.pk, 1, False),
    ]
    assert [(u["task_id"], u["document_id"], u["project_code"]) for u in body["used_in"]] == [
        (task.pk, v2.pk, project.code)
    ]


def test_entity_list_shows_current_documents_or_all_versions(bob, entity, two_versions, api):
    v1, v2 = two_versions
    client = api(bob)
    current = client.get(f"/orgs/acme/entities/{entity.pk}/documents").json()
    assert [d["id"] for d in current["items"]] == [v2.pk] and current["count"] == 1
    everything = client.get(f"/orgs/acme/entities/{entity.pk}/documents", current="false").json()
    assert {d["id"] for d in everything["items"]} == {v1.pk, v2.pk}


def test_expiring_list(bob, as_alice, entity, entity_yunfan, api):
    soon = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity_yunfan,
        document_type="business_license",
        file=licence(),
        expiry_date=timezone.localdate() + dt.timedelta(days=5),
    )
    upload_document(
        confirm_expiry=True,  # fixtures file expired and older versions on purpose
        actor=as_alice,
        entity=entity,
        document_type="passport",
        file=licence(),
    )
    body = api(bob).get("/orgs/acme/documents", expiring="true").json()
    assert [d["id"] for d in body["items"]] == [soon.pk]
    assert body["items"][0]["status"] == "expiring"
    assert api(bob).get("/orgs/acme/documents").json()["count"] == 2
    filtered = api(bob).get("/orgs/acme/documents", status="expiring").json()
    assert [d["id"] for d in filtered["items"]] == [soon.pk]
    assert_error(api(bob).get("/orgs/acme/documents", status="bogus"), 422)


def test_operator_sees_only_documents_of_entities_of_her_projects(
    carol, project, as_alice, entity, entity_yunfan, api
):
    own = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=licence(),
    )
    upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity_yunfan,
        document_type="business_license",
        file=licence(),
    )
    body = api(carol).get("/orgs/acme/documents").json()
    assert [d["id"] for d in body["items"]] == [own.pk]


def test_attachments_endpoints(carol, project, as_alice, entity, api):
    document = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="business_license",
        file=licence(),
    )
    task = project.tasks.get(key="prepare-license")
    client = api(carol)
    r = client.post(f"/orgs/acme/tasks/{task.pk}/attachments", {"document_id": document.pk})
    assert r.status_code == 201, r.content
    attachment = r.json()
    assert attachment["document"]["id"] == document.pk
    listed = client.get(f"/orgs/acme/tasks/{task.pk}/attachments").json()
    assert [a["id"] for a in listed["items"]] == [attachment["id"]]
    assert_error(
        client.post(f"/orgs/acme/tasks/{task.pk}/attachments", {"document_id": document.pk}),
        409,
        "already_attached",
    )
    r = client.post(f"/orgs/acme/tasks/{task.pk}/attachments", {"document_id": 999999})
    assert assert_error(r, 422)["errors"][0]["field"] == "document_id"
    r = client.delete(f"/orgs/acme/tasks/{task.pk}/attachments/{attachment['id']}")
    assert r.status_code == 204
    assert client.get(f"/orgs/acme/tasks/{task.pk}/attachments").json()["count"] == 0
    assert_error(
        client.delete(f"/orgs/acme/tasks/{task.pk}/attachments/{attachment['id']}"),
        404,
        "not_found",
    )


def test_lists_cost_a_bounded_number_of_queries(
    bob, as_alice, entity, entity_yunfan, api, django_assert_max_num_queries
):
    for target in (entity, entity_yunfan):
        for code in ("business_license", "passport", "bank_statement", "utility_bill"):
            upload_document(
                confirm_expiry=True,  # fixtures file expired and older versions on purpose
                actor=as_alice,
                entity=target,
                document_type=code,
                file=licence(),
            )
    client = api(bob)
    for path, params in (
        ("/orgs/acme/documents", {}),
        ("/orgs/acme/documents", {"expiring": "true"}),
        (f"/orgs/acme/entities/{entity.pk}/documents", {}),
    ):
        with django_assert_max_num_queries(8):
            r = client.get(path, **params)
        assert r.status_code == 200
