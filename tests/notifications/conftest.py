"""Fixtures of the notification tests: processing the events a test's services published."""

from __future__ import annotations

import pytest

from linkstar.notifications.fanout import process_event
from linkstar.notifications.models import Event, Notification


def process_all() -> list[Notification]:
    """Fan out every event not yet processed (what the worker does after commit)."""
    made = []
    for event_id in (
        Event.objects.filter(processed_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    ):
        made.extend(process_event(event_id))
    return made


def told(kind: str | None = None) -> set[str]:
    """The logins of the people notified (of ``kind``)."""
    qs = Notification.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return {n.recipient.email.split("@")[0] for n in qs.select_related("recipient")}


@pytest.fixture
def settled(project):
    """The project, its creation's events processed and forgotten, and its operator tasks
    unassigned again (creation gave them to carol, the team's operator): these tests assign
    them by hand."""
    project.tasks.exclude(role="manager").update(assignee=None)
    process_all()
    Notification.objects.all().delete()
    return project


@pytest.fixture
def mini_project(as_alice, as_bob, entity, carol):
    """A project of bob's from a small template whose first task ("collect", carol's) needs
    ``levels`` approval levels; its creation's notifications processed and forgotten."""
    import datetime as dt

    from linkstar.projects.services import create_project
    from tests.api.conftest import MINI_TASKS, org_template
    from tests.gates import give_documents

    def make(levels: int = 1, store_name: str = "Mini Shop"):
        tasks = [dict(MINI_TASKS[0], approval_levels=levels), MINI_TASKS[1]]
        template = org_template(as_alice, name=f"Mini {levels}", tasks=tasks, publish=True)
        give_documents(entity)
        project = create_project(
            actor=as_bob,
            template_id=template.pk,
            store_name=store_name,
            entity_id=entity.pk,
            start_date=dt.date(2026, 11, 2),
            members=[carol.pk],
        )
        process_all()
        Notification.objects.all().delete()
        return project

    return make
