"""Tasks link the documents used: which licence version went to which store."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from linkstar.documents import selectors
from linkstar.documents.models import TaskAttachment
from linkstar.documents.services import attach_document, detach_document, upload_document
from tests.support.files import licence


@pytest.fixture
def task(project):
    return project.tasks.select_related("project").get(key="prepare-license")


def _doc(actor, entity, document_type="business_license", **kwargs):
    return upload_document(
        confirm_expiry=True,
        actor=actor,
        entity=entity,
        document_type=document_type,
        file=licence(),
        **kwargs,
    )


def test_operator_on_the_project_attaches_the_current_licence(as_alice, as_carol, task, entity):
    document = _doc(as_alice, entity)
    attachment = attach_document(actor=as_carol, task=task, document=document)
    assert (attachment.task, attachment.document, attachment.attached_by) == (
        task,
        document,
        as_carol.user,
    )
    event = AuditEvent.objects.get(action="document.attached")
    assert (event.object_type, event.object_id, event.project_id) == (
        "task",
        str(task.pk),
        task.project_id,
    )
    assert "营业执照.pdf · v1" in event.changes["document"]["after"]
    assert [a.pk for a in selectors.task_attachments(task=task)] == [attachment.pk]


def test_the_attached_version_stays_recorded_after_a_new_upload(as_alice, as_carol, task, entity):
    v1 = _doc(as_alice, entity)
    attach_document(actor=as_carol, task=task, document=v1)
    v2 = _doc(as_alice, entity)
    (attachment,) = selectors.task_attachments(task=task)
    assert attachment.document == v1 and attachment.document.version_number == 1
    uses = selectors.document_uses(actor=as_alice, documents=[v2, v1])
    assert [(u.task_id, u.document_id) for u in uses] == [(task.pk, v1.pk)]


def test_refusals(as_alice, as_bob, as_carol, task, entity, entity_yunfan, dave, org):
    from tests.support.seed import actor_of

    other_entity = _doc(as_alice, entity_yunfan)
    old = _doc(as_alice, entity, "bank_statement")
    _doc(as_alice, entity, "bank_statement")
    expired = _doc(
        as_alice,
        entity,
        "utility_bill",
        issue_date=dt.date(2020, 1, 1),
        expiry_date=dt.date(2021, 1, 1),
    )
    good = _doc(as_alice, entity)
    events = AuditEvent.objects.count()
    for actor, document, message in (
        (as_bob, other_entity, "another seller entity"),
        (as_carol, other_entity, "No such document"),  # she does not see Yunfan's documents
        (as_carol, old, "newer version"),
        (as_carol, expired, "expired on 2021-01-01"),
    ):
        with translation.override("en"), pytest.raises(InvalidInput, match=message) as refused:
            attach_document(actor=actor, task=task, document=document)
        assert refused.value.errors[0].field == "document_id"
    with pytest.raises(PermissionDenied):
        attach_document(actor=actor_of(org, dave), task=task, document=good)
    attach_document(actor=as_carol, task=task, document=good)
    with pytest.raises(Conflict) as twice:
        attach_document(actor=as_bob, task=task, document=good)
    assert twice.value.code == "already_attached"
    assert TaskAttachment.objects.count() == 1
    assert AuditEvent.objects.count() == events + 1


def test_another_organizations_task_or_document_is_refused(as_alice, as_mallory, task, entity):
    document = _doc(as_alice, entity)
    with pytest.raises(NotFound):
        attach_document(actor=as_mallory, task=task, document=document)


def test_detach_is_audited_and_keeps_the_document(as_alice, as_carol, task, entity):
    document = _doc(as_alice, entity)
    attachment = attach_document(actor=as_carol, task=task, document=document)
    detach_document(actor=as_carol, attachment=attachment)
    assert not TaskAttachment.objects.exists()
    document.refresh_from_db()
    event = AuditEvent.objects.get(action="document.detached")
    assert event.project_id == task.project_id
    assert event.changes["document"]["after"] is None


def test_no_attachment_changes_on_a_closed_project(as_alice, as_bob, task, entity):
    from linkstar.projects.models import StoreProject

    document = _doc(as_alice, entity)
    attachment = attach_document(actor=as_bob, task=task, document=document)
    StoreProject.objects.filter(pk=task.project_id).update(status="closed")
    task.project.refresh_from_db()
    passport = _doc(as_alice, entity, "passport")
    with pytest.raises(Conflict) as refused:
        detach_document(actor=as_bob, attachment=attachment)
    assert refused.value.code == "project_closed"
    with pytest.raises(Conflict) as refused:
        attach_document(actor=as_bob, task=task, document=passport)
    assert refused.value.code == "project_closed"


def test_attachable_documents_are_the_entitys_current_unexpired_unattached_ones(
    as_alice, as_carol, task, entity, entity_yunfan
):
    licence_doc = _doc(as_alice, entity)
    passport = _doc(as_alice, entity, "passport")
    _doc(as_alice, entity_yunfan)
    _doc(as_alice, entity, "utility_bill", expiry_date=dt.date(2021, 1, 1), issue_date=None)
    attach_document(actor=as_carol, task=task, document=licence_doc)
    today = dt.date(2026, 11, 26)
    candidates = selectors.attachable_documents(actor=as_carol, task=task, today=today)
    assert [d.pk for d in candidates] == [passport.pk]
