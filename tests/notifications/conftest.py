"""Fixtures of the notification tests: processing the events a test's services published."""

from __future__ import annotations

import pytest

from linkstar.notifications.models import Notification
from linkstar.projects.models import StoreProject
from tests.support.notifications import process_all
from tests.support.seed import APPROVAL_MINI_TASKS, build_project, publish_template


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
def approval_project(as_alice, as_bob, entity, carol):
    """``approval_project(levels=1)`` → a project of bob's (carol on the team) from a two-task
    template whose first task ("collect", carol's) needs ``levels`` approval levels; its
    creation's notifications processed and forgotten. Built like ``mini_project``, from another
    plan: these tests are about who hears of an approval."""

    def make(levels: int = 1, store_name: str = "Mini Shop") -> StoreProject:
        tasks = [dict(APPROVAL_MINI_TASKS[0], approval_levels=levels), APPROVAL_MINI_TASKS[1]]
        template = publish_template(as_alice, tasks, name=f"Mini {levels}")
        project = build_project(
            manager=as_bob,
            template=template,
            entity=entity,
            members=[carol],
            store_name=store_name,
            documents=True,
        )
        process_all()
        Notification.objects.all().delete()
        return project

    return make
