"""Restoring a cancelled project (issue 14 §1): an administrator, within 30 days, back to the
stage it was cancelled from — active again, audited, its association risks found again."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.services import open_risks
from linkstar.core.exceptions import PermissionDenied, TransitionNotAllowed
from linkstar.projects.models import Stage, StageChange, StoreProject
from linkstar.projects.services import (
    change_stage,
    close_project,
    create_project,
    restore_project,
    skip_task,
)

pytestmark = pytest.mark.django_db


def _state(project) -> tuple:
    p = StoreProject.objects.get(pk=project.pk)
    return p.stage, p.status, p.version


@pytest.fixture
def cancelled(mini_project, as_bob):
    change_stage(actor=as_bob, project=mini_project, stage="under_review")
    return change_stage(actor=as_bob, project=mini_project, stage="cancelled")


def test_an_administrator_restores_the_stage_it_was_cancelled_from(cancelled, as_alice):
    project = restore_project(actor=as_alice, project=cancelled, note="客户改主意了")
    assert (project.stage, project.status) == (Stage.UNDER_REVIEW, "active")
    last = StageChange.objects.filter(project=project).latest("at", "pk")
    assert (last.from_stage, last.to_stage, last.note) == (
        "cancelled",
        "under_review",
        "客户改主意了",
    )
    event = AuditEvent.objects.get(action="project.restored")
    assert event.changes["stage"] == {"before": "cancelled", "after": "under_review"}


def test_a_cancelled_and_closed_project_is_active_again(cancelled, as_bob, as_alice):
    for task in cancelled.tasks.all():
        skip_task(actor=as_bob, task=task, reason="cancelled")
    close_project(actor=as_bob, project=StoreProject.objects.get(pk=cancelled.pk))
    project = restore_project(actor=as_alice, project=StoreProject.objects.get(pk=cancelled.pk))
    assert (project.status, project.closed_at) == ("active", None)
    event = AuditEvent.objects.get(action="project.restored")
    assert event.changes["status"] == {"before": "closed", "after": "active"}


def test_only_an_administrator_restores(cancelled, as_bob):
    before = _state(cancelled)
    with pytest.raises(PermissionDenied):
        restore_project(actor=as_bob, project=cancelled)
    assert _state(cancelled) == before


def test_after_thirty_days_the_cancellation_stands(cancelled, as_alice):
    StageChange.objects.filter(project=cancelled, to_stage="cancelled").update(
        at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    )
    before = _state(cancelled)
    with pytest.raises(TransitionNotAllowed):
        restore_project(actor=as_alice, project=cancelled)
    assert _state(cancelled) == before


def test_a_project_that_is_not_cancelled_is_not_restored(mini_project, as_alice):
    with pytest.raises(TransitionNotAllowed):
        restore_project(actor=as_alice, project=mini_project)


def test_the_association_risks_of_a_restored_project_come_back(
    mini_project, mini_template, entity, as_bob, as_alice
):
    twin = create_project(
        actor=as_bob,
        template_id=mini_template.pk,
        store_name="Mini Shop US 2",
        entity_id=entity.pk,
        start_date=mini_project.start_date,
    )
    assert open_risks(twin)
    change_stage(actor=as_bob, project=twin, stage="cancelled")
    assert not open_risks(mini_project)
    restore_project(actor=as_alice, project=StoreProject.objects.get(pk=twin.pk))
    assert open_risks(mini_project)


def test_the_api_and_the_page_restore_for_an_administrator(api, alice, bob, cancelled):
    from django.test import Client

    refused = api(bob).post(f"/orgs/acme/projects/{cancelled.pk}/restore", {})
    assert refused.status_code == 403
    client = Client()
    client.force_login(alice)
    page = client.get(f"/o/acme/projects/{cancelled.pk}/").content.decode()
    assert 'id="restore-form"' in page
    client.post(f"/o/acme/projects/{cancelled.pk}/restore/", {"version": cancelled.version})
    assert StoreProject.objects.get(pk=cancelled.pk).stage == "under_review"
