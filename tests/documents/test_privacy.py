"""Erasing a seller entity's personal data on request (PIPL / GDPR): the values are gone from
every table (decrypted too) and from the storage, the audit says who erased what and never the
values, and only an administrator of the organization may do it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.db import models

from linkstar.archives.models import ArchiveStatus
from linkstar.archives.services import build_archive, request_archive
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from linkstar.docrequests.services import upload_to_item
from linkstar.documents.models import Document
from linkstar.documents.privacy import erase_entity
from linkstar.documents.services import upload_document
from linkstar.entities import services as entity_services
from linkstar.entities.models import Identifier, SellerEntity, StoreCredential
from linkstar.projects.services import create_project
from tests.support.assertions import assert_error
from tests.support.clients import client_for
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence, stored_files
from tests.support.seed import actor_of
from tests.support.vault import PLAIN_VALUES, assert_nowhere, database_dump, make_vault

MARK = "ERASE-ME-110101199003077777"
PERSONAL = (
    "王芳",
    "Wang Fang",
    "store@xinghe.example",
    "138-0013-8000",
    "深圳市宝安区福永街道",
    "ZHANG WEI",
    "张伟",
    "深圳市星河跨境电子商务有限公司",
    "Shenzhen Xinghe",
)


def decrypted_dump(*, skip=("audit.AuditEvent",)) -> str:
    """Every text-like value of every model as Python reads it (encrypted fields decrypted)."""
    chunks = []
    for model in apps.get_models():
        if model._meta.label in skip:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            chunks.append(json.dumps(row, ensure_ascii=False, default=str))
    return "\n".join(chunks)


@pytest.fixture
def filled(as_alice, as_bob, entity, project, vault_dir):
    """The Xinghe entity with every kind of record, two store credentials, two versions of its
    licence (the older one superseded) and a legal representative's ID scan, each file and note
    carrying :data:`MARK`."""
    vault = make_vault(as_alice, as_bob, entity, project)
    entity_services.update_entity(actor=as_alice, entity=entity, registered_address="星河大道 1 号")
    for notes in ("v1", "v2"):
        upload_document(
            actor=as_alice,
            entity=entity,
            document_type="business_license",
            file=licence("营业执照.pdf", text=f"{MARK} {notes}"),
            notes=f"{MARK} {notes}",
            expiry_date=dt.date(2031, 1, 1),
        )
    upload_document(
        actor=as_alice,
        entity=entity,
        document_type="legal_rep_id_front",
        file=licence("张伟身份证.pdf", text=MARK),
        person_name="张伟",
    )
    assert any(MARK.encode() in p.read_bytes() for p in stored_files(vault_dir))
    return vault


def test_erasure_leaves_no_personal_value_in_the_database_or_the_storage(
    filled, as_alice, entity, vault_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)

    everything_but_audit = decrypted_dump()
    assert_nowhere(everything_but_audit, *PLAIN_VALUES, MARK, *PERSONAL, "星河大道")
    # The raw database (ciphertext, the audit included) holds none of the encrypted values.
    assert_nowhere(database_dump(), *PLAIN_VALUES, MARK)
    assert stored_files(vault_dir) == []


def test_erasure_keeps_the_entity_under_a_neutral_name_and_its_documents_as_empty_rows(
    filled, as_alice, entity, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erased = erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)

    erased.refresh_from_db()
    assert erased.is_erased and erased.name == f"Erased seller entity #{entity.pk}"
    assert (erased.registration_number, erased.legal_rep_id_number, erased.legal_rep_name) == (
        "",
        "",
        "",
    )
    assert project.__class__.objects.filter(pk=project.pk, entity=entity).exists()
    docs = Document.objects.filter(entity=entity)
    assert docs.count() == 3
    assert not docs.exclude(storage_name="").exists()
    assert not docs.filter(file_removed_at__isnull=True).exists()
    assert not docs.filter(is_current=True).exists()
    assert not Identifier.objects.filter(entity=entity).exists()
    credentials = StoreCredential.objects.filter(project=project)
    assert credentials.count() == 2
    assert all(c.secret == "" and c.login == "" and c.revoked for c in credentials)


def test_the_audit_records_who_erased_what_by_counts_never_the_values(
    filled, as_alice, alice, entity
):
    erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)

    event = AuditEvent.objects.get(action="entity.erased")
    assert (event.actor_id, event.object_type, event.object_id) == (
        alice.pk,
        "sellerentity",
        str(entity.pk),
    )
    assert event.changes["documents"] == {"before": 3, "after": 0}
    assert event.changes["people"] == {"before": 2, "after": 0}
    assert event.changes["files"] == {"before": 3, "after": 0}
    text = json.dumps([event.changes, event.object_repr], ensure_ascii=False)
    assert_nowhere(text, *PLAIN_VALUES, MARK, *PERSONAL)


def test_files_stay_when_the_erasure_is_rolled_back(
    filled, as_alice, entity, vault_dir, django_capture_on_commit_callbacks
):
    before = stored_files(vault_dir)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)
    assert callbacks  # the deletion waits for the commit
    assert stored_files(vault_dir) == before


def test_a_wrong_confirmation_name_changes_nothing(filled, as_alice, entity):
    with pytest.raises(InvalidInput) as caught:
        erase_entity(actor=as_alice, entity=entity, confirm_name="星河")
    assert caught.value.errors[0].field == "confirm_name"
    entity.refresh_from_db()
    assert not entity.is_erased and entity.legal_rep_id_number
    assert Document.objects.filter(entity=entity, file_removed_at__isnull=True).count() == 3


def test_a_manager_may_not_erase_and_another_organization_gets_not_found(
    filled, as_bob, as_mallory, entity
):
    with pytest.raises(PermissionDenied):
        erase_entity(actor=as_bob, entity=entity, confirm_name=entity.name)
    with pytest.raises(NotFound):
        erase_entity(actor=as_mallory, entity=entity, confirm_name=entity.name)
    assert not SellerEntity.objects.get(pk=entity.pk).is_erased


def test_an_erased_entity_takes_no_new_project_data_or_second_erasure(
    as_alice, as_bob, entity, amazon_na
):
    erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)
    entity.refresh_from_db()
    with pytest.raises(Conflict):
        erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)
    with pytest.raises(Conflict):
        entity_services.update_entity(actor=as_alice, entity=entity, notes="again")
    with pytest.raises(Conflict):
        entity_services.create_contact(actor=as_alice, entity=entity, kind="phone", value="13800")
    with pytest.raises(Conflict):
        upload_document(
            actor=as_alice, entity=entity, document_type="business_license", file=licence()
        )
    with pytest.raises(InvalidInput) as caught:
        create_project(
            actor=as_bob,
            template_id=amazon_na.pk,
            store_name="Again",
            entity_id=entity.pk,
        )
    assert "erased" in str(caught.value.errors[0].message)


def test_api_erase_is_for_admins(filled, alice, bob, mallory, entity, api):
    path = f"/orgs/acme/entities/{entity.pk}/erase"
    assert_error(api(bob).post(path, {"confirm_name": entity.name}), 403)
    assert_error(api(mallory).post(path, {"confirm_name": entity.name}), 404)
    assert_error(api(alice).post(path, {"confirm_name": "nope"}), 422)
    r = api(alice).post(path, {"confirm_name": entity.name})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["erased_at"] and body["legal_rep_id_number"] == ""
    assert_error(api(alice).post(path, {"confirm_name": body["name"]}), 409, "already_erased")


def test_the_page_warns_and_erases_after_the_name_is_typed(filled, alice, bob, entity):
    detail = client_for(alice).get(f"/o/acme/settings/entities/{entity.pk}/")
    assert 'id="erase-entity"' in detail.content.decode()
    assert (
        'id="erase-entity"'
        not in client_for(bob).get(f"/o/acme/settings/entities/{entity.pk}/").content.decode()
    )
    url = f"/o/acme/settings/entities/{entity.pk}/erase/"
    assert client_for(bob).get(url).status_code == 403
    page = client_for(alice).get(url)
    assert page.status_code == 200 and 'id="erase-warning"' in page.content.decode()
    wrong = client_for(alice).post(url, {"confirm_name": "星河"})
    assert wrong.status_code == 422 and 'id="erase-error"' in wrong.content.decode()
    done = client_for(alice).post(url, {"confirm_name": entity.name})
    assert done.status_code == 302
    assert SellerEntity.objects.get(pk=entity.pk).is_erased
    after = client_for(alice).get(f"/o/acme/settings/entities/{entity.pk}/").content.decode()
    assert 'id="erased-note"' in after
    assert 'id="erase-entity"' not in after and 'id="edit-entity"' not in after
    vault = client_for(alice).get("/o/acme/documents/", {"entity": entity.pk})
    assert vault.status_code == 200 and "营业执照.pdf" not in vault.content.decode()


def test_client_uploads_and_project_archives_go_with_the_entity(
    filled,
    as_alice,
    as_bob,
    org,
    entity,
    project,
    vault_dir,
    on_project_start,
    django_capture_on_commit_callbacks,
):
    hana = client_of_entity(org, entity)
    request = ask(as_bob, project, "bank_statement")
    upload = upload_to_item(
        actor=actor_of(org, hana),
        item=request.items.get(),
        file=licence("银行流水.pdf", text=f"{MARK} bank"),
    )
    job = build_archive(job_id=request_archive(actor=as_bob, project_ids=[project.pk]).pk)
    assert job.status == ArchiveStatus.DONE and job.storage_name
    waiting, archive = vault_dir / upload.storage_name, vault_dir / job.storage_name
    assert waiting.exists() and archive.exists()

    with django_capture_on_commit_callbacks(execute=True):
        erase_entity(actor=as_alice, entity=entity, confirm_name=entity.name)

    assert not waiting.exists() and not archive.exists()
    upload.refresh_from_db()
    assert (upload.storage_name, upload.original_name) == ("", "")
    job.refresh_from_db()
    assert job.status == ArchiveStatus.EXPIRED and job.storage_name == ""
    assert_nowhere(decrypted_dump(), MARK, "银行流水")
    assert not any(MARK.encode() in p.read_bytes() for p in stored_files(vault_dir))
