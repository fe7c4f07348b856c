"""Fixtures of the project service tests: helpers to read tasks and audit events back. (The small
template whose plan is easy to reason about and the project made from it, ``mini_template`` and
``mini_project``, are in ``tests/conftest.py``.)"""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import StoreProject, Task


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
