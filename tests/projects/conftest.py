"""Fixtures of the project service tests: a small organization template whose plan is easy to
reason about, a project made from it, and helpers to read tasks and audit events back."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import create_project

START = dt.date(2026, 11, 2)

# collect → check → submit (sets under_review) → go-live (sets opened); announce stands alone and
# asks for ``opened``, a move the state machine refuses from ``preparing``.
MINI_TASKS = [
    {
        "key": "collect",
        "title": "Collect documents",
        "phase": "documents",
        "offset_days": 0,
        "duration_days": 2,
        "role": "operator",
        "checklist": ["licence", "id card"],
    },
    {
        "key": "check",
        "title": "Check the pack",
        "phase": "documents",
        "offset_days": 2,
        "duration_days": 1,
        "depends_on": ["collect"],
        "role": "manager",
    },
    {
        "key": "submit",
        "title": "Submit the application",
        "phase": "registration",
        "offset_days": 3,
        "duration_days": 1,
        "depends_on": ["check"],
        "role": "operator",
        "sets_stage": "under_review",
    },
    {
        "key": "go-live",
        "title": "Go live",
        "phase": "launch",
        "offset_days": 4,
        "duration_days": 3,
        "depends_on": ["submit"],
        "role": "operator",
        "sets_stage": "opened",
    },
    {
        "key": "announce",
        "title": "Announce the store",
        "phase": "launch",
        "offset_days": 1,
        "duration_days": 1,
        "role": "operator",
        "sets_stage": "opened",
    },
]


def publish_template(actor, tasks: list[dict], *, name: str = "Mini", site: str = "amazon-us"):
    template = create_template(actor=actor, name=name, site=site)
    version = template.versions.get(number=1)
    replace_draft_tasks(actor=actor, version=version, tasks=tasks)
    publish_version(actor=actor, version=version)
    return template


@pytest.fixture
def mini_template(as_alice):
    return publish_template(as_alice, MINI_TASKS)


@pytest.fixture
def mini_project(as_bob, mini_template, entity, carol) -> StoreProject:
    return create_project(
        actor=as_bob,
        template_id=mini_template.pk,
        store_name="Mini Shop US",
        entity_id=entity.pk,
        start_date=START,
        members=[carol.pk],
    )


@pytest.fixture
def task_of():
    def get(project: StoreProject, key: str) -> Task:
        return Task.objects.get(project=project, key=key)

    return get


@pytest.fixture
def reload():
    def get(obj):
        return type(obj).objects.get(pk=obj.pk)

    return get


@pytest.fixture
def audit():
    """``audit(action, obj=None)`` → the audit events of that action (on that object)."""

    def events(action: str, obj=None) -> list[AuditEvent]:
        qs = AuditEvent.objects.filter(action=action)
        if obj is not None:
            qs = qs.filter(object_type=obj._meta.model_name, object_id=str(obj.pk))
        return list(qs.order_by("organization_id", "seq"))

    return events
