"""Retention of closed projects' documents: files of documents used only by projects closed
longer than the organization's period are deleted by the daily job (project clock), shared and
unattached documents are kept, and each run is audited by counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.documents.models import Document
from linkstar.documents.retention import apply_retention, months_before, set_retention
from linkstar.documents.services import attach_document, upload_document
from linkstar.documents.tasks import PERIODIC
from linkstar.projects.models import StoreProject
from tests.support.clients import client_for
from tests.support.files import licence

CLOSED = dt.datetime(2026, 1, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def _upload(actor, entity, code: str, text: str) -> Document:
    return upload_document(actor=actor, entity=entity, document_type=code, file=licence(text=text))


def _close(project, at: dt.datetime) -> None:
    StoreProject.objects.filter(pk=project.pk).update(status="closed", closed_at=at)


def _run(at: dt.datetime, org, django_capture_on_commit_callbacks) -> int:
    with clock.frozen_at(at), django_capture_on_commit_callbacks(execute=True):
        return apply_retention(org)


@pytest.fixture
def attached(as_alice, as_bob, entity, project):
    """A licence attached to a task of bob's project, and an ID scan never attached."""
    used = _upload(as_alice, entity, "business_license", "used")
    attach_document(actor=as_bob, task=project.tasks.order_by("pk").first(), document=used)
    kept = _upload(as_alice, entity, "legal_rep_id_front", "never attached")
    return used, kept


def test_files_are_deleted_only_after_the_period(
    attached, as_alice, org, project, vault_dir, django_capture_on_commit_callbacks
):
    used, kept = attached
    set_retention(actor=as_alice, months=6)
    _close(project, CLOSED)

    assert _run(CLOSED + dt.timedelta(days=150), org, django_capture_on_commit_callbacks) == 0
    assert (vault_dir / used.storage_name).exists()

    stored = vault_dir / used.storage_name
    assert _run(CLOSED + dt.timedelta(days=190), org, django_capture_on_commit_callbacks) == 1
    used.refresh_from_db()
    assert used.storage_name == "" and used.file_removed_at is not None
    assert not stored.exists()
    kept.refresh_from_db()
    assert (vault_dir / kept.storage_name).exists()
    event = AuditEvent.objects.get(action="documents.retention_applied")
    assert event.actor_id is None
    assert event.changes["files_deleted"] == {"before": 0, "after": 1}
    assert event.changes["months"] == {"before": 6, "after": 6}


def test_a_document_shared_with_an_open_project_is_kept(
    attached,
    as_alice,
    as_bob,
    org,
    project,
    mini_project,
    vault_dir,
    django_capture_on_commit_callbacks,
):
    used, _kept = attached
    attach_document(actor=as_bob, task=mini_project.tasks.order_by("pk").first(), document=used)
    set_retention(actor=as_alice, months=6)
    _close(project, CLOSED)

    assert _run(CLOSED + dt.timedelta(days=730), org, django_capture_on_commit_callbacks) == 0
    assert (vault_dir / used.storage_name).exists()

    later = CLOSED + dt.timedelta(days=730)
    _close(mini_project, later)
    assert _run(later + dt.timedelta(days=30), org, django_capture_on_commit_callbacks) == 0
    assert _run(later + dt.timedelta(days=200), org, django_capture_on_commit_callbacks) == 1
    assert not AuditEvent.objects.filter(action="documents.retention_applied").count() > 1


def test_without_a_period_every_file_is_kept(
    attached, org, project, vault_dir, django_capture_on_commit_callbacks
):
    used, _kept = attached
    _close(project, CLOSED)
    assert _run(CLOSED + dt.timedelta(days=3650), org, django_capture_on_commit_callbacks) == 0
    assert (vault_dir / used.storage_name).exists()


def test_only_an_admin_sets_the_period_and_it_must_be_a_number_of_months(as_alice, as_bob):
    with pytest.raises(PermissionDenied):
        set_retention(actor=as_bob, months=6)
    for wrong in (0, -1, 1201, True):
        with pytest.raises(InvalidInput):
            set_retention(actor=as_alice, months=wrong)
    assert set_retention(actor=as_alice, months=24).months == 24
    assert set_retention(actor=as_alice, months=None).months is None
    assert AuditEvent.objects.filter(action="documents.retention_changed").count() == 2


def test_the_settings_page_saves_the_period(alice, bob, org):
    page = client_for(alice).get("/o/acme/settings/retention/")
    assert page.status_code == 200 and 'id="retention-months"' in page.content.decode()
    assert client_for(bob).post("/o/acme/settings/retention/", {"months": "6"}).status_code == 403
    bad = client_for(alice).post("/o/acme/settings/retention/", {"months": "abc"})
    assert bad.status_code == 422 and 'id="retention-error"' in bad.content.decode()
    assert (
        client_for(alice).post("/o/acme/settings/retention/", {"months": "18"}).status_code == 302
    )
    assert org.document_retention.months == 18


def test_the_job_runs_daily_and_months_are_calendar_months():
    assert [p.name for p in PERIODIC] == ["documents.retention"]
    assert PERIODIC[0].every == dt.timedelta(days=1)
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2024, 12, 31, 12, tzinfo=dt.UTC)
