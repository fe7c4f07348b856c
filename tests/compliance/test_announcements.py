"""An entity's identifiers written by the entity services are announced, and compliance finds the
association risks of its projects again once the change is committed (core/announcements.py;
no signal, no import of compliance by entities)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.core import announcements
from linkstar.entities.services import create_record, delete_record
from linkstar.projects.models import Task
from tests.support.compliance import identify, open_store, seller


def test_a_phone_added_through_the_entity_services_raises_the_risk_after_commit(
    as_alice, as_bob, org, django_capture_on_commit_callbacks
):
    first, second = seller(org, "A 公司"), seller(org, "B 公司")
    identify(first, "phone", "13800138000")
    open_store(as_bob, first, "amazon-us", "A US")
    open_store(as_bob, second, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        contact = create_record(
            actor=as_alice,
            entity=second,
            record_type="contact",
            kind="phone",
            value="+86 138 0013 8000",
        )
        assert not AssociationRisk.objects.exists()  # nothing before the commit
    risk = AssociationRisk.objects.get()
    assert risk.status == RiskStatus.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        delete_record(actor=as_alice, obj=contact)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED


def test_an_unknown_announcement_is_a_programming_error():
    with pytest.raises(ImproperlyConfigured):
        announcements.announce("entities.renamed", entity_id=1)
    with pytest.raises(ImproperlyConfigured):
        announcements.listen("entities.renamed")


def test_gathering_collects_every_listeners_answer(mini_project):
    """The task services ask for a task's document gaps by announcement (compliance answers),
    so that projects do not import compliance."""
    task = Task.objects.get(project=mini_project, key="collect")
    task.document_types = ["business_license"]
    assert announcements.gather(announcements.TASK_DOCUMENT_GAPS, task=task) != []
    task.document_types = []
    assert announcements.gather(announcements.TASK_DOCUMENT_GAPS, task=task) == []
    with pytest.raises(ImproperlyConfigured):
        announcements.gather("projects.nothing", task=task)
