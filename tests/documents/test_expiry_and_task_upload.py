"""A version that is already expired, or expires before the current one, never silently becomes
current (issue 14 §1); and a document uploaded straight from a task is attached in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, PermissionDenied
from linkstar.documents.models import Document, TaskAttachment
from linkstar.documents.services import upload_and_attach, upload_document
from linkstar.projects.services import org_today
from tests.support.files import licence

pytestmark = pytest.mark.django_db


def _upload(actor, entity, **kwargs):
    return upload_document(
        actor=actor, entity=entity, document_type="business_license", file=licence(), **kwargs
    )


def _current(entity) -> list[tuple]:
    return list(
        Document.objects.filter(entity=entity, is_current=True).values_list(
            "version_number", "expiry_date"
        )
    )


@pytest.fixture
def today(org):
    return org_today(org)


def test_an_expired_version_is_refused_until_confirmed(as_alice, entity, today):
    first = _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=300))
    with pytest.raises(Conflict) as caught:
        _upload(as_alice, entity, expiry_date=today - dt.timedelta(days=1))
    assert caught.value.code == "expiry_confirmation_needed"
    assert (today - dt.timedelta(days=1)).isoformat() in caught.value.detail
    assert _current(entity) == [(1, first.expiry_date)]
    assert Document.objects.filter(entity=entity).count() == 1
    confirmed = _upload(
        as_alice, entity, expiry_date=today - dt.timedelta(days=1), confirm_expiry=True
    )
    assert confirmed.is_current
    event = AuditEvent.objects.filter(action="document.uploaded").latest("id")
    assert event.changes["expiry_confirmed"]["after"] is True


def test_a_version_expiring_before_the_current_one_is_refused_until_confirmed(
    as_alice, entity, today
):
    _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=300))
    with pytest.raises(Conflict):
        _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=30))
    assert _current(entity)[0][0] == 1
    later = _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=600))
    assert later.version_number == 2 and later.is_current


def test_a_first_version_or_one_without_expiry_passes(as_alice, entity, today):
    assert _upload(as_alice, entity).is_current
    assert _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=10)).is_current


def test_the_vault_page_asks_for_the_confirmation(alice, entity, as_alice, today):
    _upload(as_alice, entity, expiry_date=today + dt.timedelta(days=300))
    client = Client()
    client.force_login(alice)
    client.cookies["linkstar_language"] = "en"
    form = {
        "entity": entity.pk,
        "document_type": "business_license",
        "expiry_date": (today - dt.timedelta(days=3)).isoformat(),
        "file": licence(),
    }
    answer = client.post("/o/acme/documents/upload/", form)
    assert answer.status_code == 409
    assert "Confirm to file it" in answer.content.decode()
    assert Document.objects.filter(entity=entity).count() == 1
    form["file"] = licence()
    form["confirm_expiry"] = "on"
    assert client.post("/o/acme/documents/upload/", form).status_code == 302
    assert Document.objects.filter(entity=entity).count() == 2


def test_an_operator_uploads_from_the_task_and_it_is_attached(as_carol, project):
    task = project.tasks.select_related("project").get(key="prepare-license")
    attachment = upload_and_attach(
        actor=as_carol, task=task, document_type="business_license", file=licence()
    )
    assert attachment.task == task and attachment.document.is_current
    assert attachment.document.entity_id == project.entity_id
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["document.uploaded", "document.attached"]


def test_someone_not_on_the_project_cannot_upload_from_its_task(as_frank, project):
    task = project.tasks.select_related("project").get(key="prepare-license")
    with pytest.raises(PermissionDenied):
        upload_and_attach(
            actor=as_frank, task=task, document_type="business_license", file=licence()
        )
    assert not Document.objects.exists()


def test_the_task_page_and_the_api_upload_and_attach(carol, api, project):
    task = project.tasks.get(key="prepare-license")
    client = Client()
    client.force_login(carol)
    page = client.get(f"/o/acme/tasks/{task.pk}/").content.decode()
    assert 'id="task-upload-form"' in page
    client.post(
        f"/o/acme/tasks/{task.pk}/documents/",
        {"document_type": "business_license", "file": licence()},
    )
    assert TaskAttachment.objects.filter(task=task).count() == 1
    client = api(carol)
    answer = client.client.post(
        f"/api/v1/orgs/acme/tasks/{task.pk}/documents",
        data={"document_type": "legal_rep_id_front", "file": licence()},
        **client._headers(),
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["document"]["document_type"] == "legal_rep_id_front"
