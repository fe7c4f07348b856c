"""Uploads: who may, versions (supersede), audit without contents, nothing half-stored."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.utils import timezone

from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput, NotFound, PermissionDenied
from linkstar.documents import services
from linkstar.documents.models import Document
from linkstar.documents.services import upload_document
from tests.support.files import licence, pdf_bytes, stored_files, upload


def _upload(actor, entity, file=None, document_type="business_license", **kwargs):
    return upload_document(
        actor=actor,
        entity=entity,
        document_type=document_type,
        file=file or licence(),
        **kwargs,
    )


# --- who may upload ------------------------------------------------------------------------------


def test_admin_and_manager_upload_for_any_entity(actors, entity, entity_yunfan):
    assert _upload(actors["alice"], entity).uploaded_by == actors["alice"].user
    assert _upload(actors["bob"], entity_yunfan).entity == entity_yunfan


def test_operator_uploads_for_the_entity_of_a_project_she_is_on(actors, project, entity):
    assert project.entity == entity
    assert _upload(actors["carol"], entity).pk


def test_operator_may_not_upload_for_an_entity_she_has_no_project_of(
    actors, project, entity_yunfan, vault_dir
):
    with pytest.raises(PermissionDenied, match="may upload its documents"):
        _upload(actors["carol"], entity_yunfan)
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_reviewer_uploads_only_for_projects_she_is_on(actors, project, entity):
    with pytest.raises(PermissionDenied):
        _upload(actors["dave"], entity)
    project.members.add(actors["dave"].user)
    assert _upload(actors["dave"], entity).pk


def test_client_uploads_for_its_own_entity_only(actors, entity, entity_yunfan):
    assert _upload(actors["grace"], entity_yunfan).entity == entity_yunfan
    with pytest.raises(PermissionDenied):
        _upload(actors["grace"], entity)


def test_auditor_may_not_upload(actors, entity):
    with pytest.raises(PermissionDenied):
        _upload(actors["frank"], entity)


def test_another_organizations_entity_is_not_found(as_mallory, entity, vault_dir):
    with pytest.raises(NotFound):
        _upload(as_mallory, entity)
    assert stored_files(vault_dir) == []


# --- the other fields ----------------------------------------------------------------------------


def test_unknown_document_type_is_refused(as_alice, entity, vault_dir):
    with pytest.raises(InvalidInput) as refused:
        _upload(as_alice, entity, document_type="selfie")
    assert refused.value.errors[0].field == "document_type"
    assert stored_files(vault_dir) == []


def test_expiry_before_issue_and_future_issue_dates_are_refused(as_alice, entity, vault_dir):
    with pytest.raises(InvalidInput) as refused:
        _upload(
            as_alice,
            entity,
            issue_date=dt.date(2026, 1, 10),
            expiry_date=dt.date(2026, 1, 9),
        )
    assert [e.field for e in refused.value.errors] == ["expiry_date"]
    with pytest.raises(InvalidInput) as refused:
        _upload(as_alice, entity, issue_date=timezone.localdate() + dt.timedelta(days=3))
    assert [e.field for e in refused.value.errors] == ["issue_date"]
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_dates_notes_and_person_are_kept(as_alice, entity):
    document = _upload(
        as_alice,
        entity,
        document_type="legal_rep_id_front",
        file=upload("身份证正面.pdf", pdf_bytes()),
        issue_date=dt.date(2020, 5, 1),
        expiry_date=dt.date(2040, 5, 1),
        notes="  彩色扫描  ",
        person_name="  张伟 ",
    )
    document.refresh_from_db()
    assert (document.issue_date, document.expiry_date) == (dt.date(2020, 5, 1), dt.date(2040, 5, 1))
    assert document.notes == "彩色扫描"
    assert document.person_name == "张伟"


# --- versions ------------------------------------------------------------------------------------


def test_a_new_upload_of_the_same_type_supersedes_and_keeps_the_old_version(
    as_alice, as_bob, entity, entity_yunfan, vault_dir
):
    first = _upload(as_alice, entity, licence("营业执照-2025.pdf", "v1"))
    other_entity = _upload(as_alice, entity_yunfan)
    other_type = _upload(as_alice, entity, document_type="bank_statement")
    second = _upload(as_bob, entity, licence("营业执照-2026.pdf", "v2"))
    first.refresh_from_db()
    assert (first.is_current, first.version_number) == (False, 1)
    assert (second.is_current, second.version_number, second.supersedes) == (True, 2, first)
    third = _upload(as_alice, entity, licence("营业执照-2027.pdf", "v3"))
    second.refresh_from_db()
    assert not second.is_current and third.supersedes == second and third.version_number == 3
    # Other types and other entities are untouched; every version keeps its file.
    other_entity.refresh_from_db()
    other_type.refresh_from_db()
    assert other_entity.is_current and other_type.is_current
    current = Document.objects.filter(entity=entity, document_type__code="business_license")
    assert list(current.filter(is_current=True)) == [third]
    assert len(stored_files(vault_dir)) == 5


def test_documents_of_different_people_are_separate_versions(as_alice, entity):
    a = _upload(as_alice, entity, document_type="passport", person_name="张伟")
    b = _upload(as_alice, entity, document_type="passport", person_name="李娜")
    a2 = _upload(as_alice, entity, document_type="passport", person_name="张伟")
    a.refresh_from_db()
    b.refresh_from_db()
    assert not a.is_current and b.is_current and a2.supersedes == a
    assert b.version_number == 1


# --- audit ---------------------------------------------------------------------------------------


def test_upload_and_supersede_are_audited_without_file_contents(as_alice, entity):
    secret_text = "CONTENT-ONLY-IN-THE-FILE"
    first = _upload(as_alice, entity, licence(text=secret_text))
    second = _upload(as_alice, entity, licence(text=secret_text + "2"))
    uploaded = AuditEvent.objects.filter(action="document.uploaded").order_by("seq")
    assert [e.object_id for e in uploaded] == [str(first.pk), str(second.pk)]
    changes = uploaded.last().changes
    assert changes["sha256"]["after"] == second.sha256
    assert changes["original_name"]["after"] == "营业执照.pdf"
    assert changes["supersedes"]["after"] == first.pk
    superseded = AuditEvent.objects.get(action="document.superseded")
    assert superseded.object_id == str(first.pk)
    assert superseded.changes["superseded_by"]["after"] == second.pk
    everything = json.dumps(
        list(AuditEvent.objects.values("changes", "object_repr")), ensure_ascii=False
    )
    assert secret_text not in everything
    assert "%PDF" not in everything


# --- nothing half-stored -------------------------------------------------------------------------


def test_a_failing_transaction_deletes_the_stored_file(as_alice, entity, vault_dir, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record_many", broken)
    with pytest.raises(RuntimeError):
        _upload(as_alice, entity)
    assert Document.objects.count() == 0
    assert stored_files(vault_dir) == []


def test_a_failing_supersede_keeps_the_current_version(as_alice, entity, vault_dir, monkeypatch):
    first = _upload(as_alice, entity)
    monkeypatch.setattr(
        services, "record_many", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError):
        _upload(as_alice, entity)
    first.refresh_from_db()
    assert first.is_current
    assert Document.objects.count() == 1
    assert [p.relative_to(vault_dir).as_posix() for p in stored_files(vault_dir)] == [
        first.storage_name
    ]


def test_orphan_files_are_swept(as_alice, entity, vault_dir):
    kept = _upload(as_alice, entity)
    orphan = vault_dir / "documents" / str(as_alice.organization.pk) / "orphan.pdf"
    orphan.write_bytes(pdf_bytes())
    written = clock.now().timestamp()  # by the project clock (the file system keeps its own)
    os.utime(orphan, (written, written))
    assert services.sweep_orphan_files() == []  # too recent: its upload may be committing
    removed = services.sweep_orphan_files(older_than=dt.timedelta(0))
    assert removed == [f"documents/{as_alice.organization.pk}/orphan.pdf"]
    assert [p.relative_to(vault_dir).as_posix() for p in stored_files(vault_dir)] == [
        kept.storage_name
    ]


def test_the_sweep_command(as_alice, entity, vault_dir):
    from io import StringIO

    from django.core.management import call_command

    orphan = vault_dir / "documents" / "orphan.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(pdf_bytes())
    out = StringIO()
    call_command("documents_sweep", "--hours", "0", stdout=out)
    assert "deleted documents/orphan.pdf" in out.getvalue()
    assert not orphan.exists()
