"""The populated "acme" world of the API tests (the ``world`` fixture of ``tests/api/conftest.py``
builds it); its heavier objects are built on first use."""

from __future__ import annotations

from functools import cached_property

from linkstar.accounts.models import User
from linkstar.approvals.models import ApprovalRequest
from linkstar.playbooks.models import Template
from linkstar.projects.models import StoreProject, Task
from tests.support.seed import (
    APPROVAL_MINI_TASKS,
    actor_of,
    build_project,
    publish_template,
)


class World:
    """acme's objects, as the tests of every endpoint need them."""

    def __init__(self, *, org, users: dict[str, User], entity, entity_yunfan, project, amazon_na):
        self.org = org
        self.users = users
        self.entity = entity
        self.entity_yunfan = entity_yunfan
        self.project = project
        self.amazon_na = amazon_na

    def actor(self, name: str):
        return actor_of(self.org, self.users[name])

    @cached_property
    def task(self) -> Task:
        """The project's first task: no dependencies, to do."""
        return self.project.tasks.get(key="prepare-license")

    @cached_property
    def done_task(self) -> Task:
        """A task of the project carol has just finished (it needs no documents)."""
        from linkstar.projects.services import update_task

        task = self.project.tasks.get(key="prepare-contact-info")
        for step in ("in_progress", "done"):
            task = update_task(actor=self.actor("carol"), task=task, status=step)
        return task

    @cached_property
    def blocked_task(self) -> Task:
        return self.project.tasks.get(key="review-document-pack")

    @cached_property
    def template(self) -> Template:
        """acme's own template, version 1 published (a task needing approval, then one more)."""
        return publish_template(self.actor("alice"), APPROVAL_MINI_TASKS, name="Mini SOP")

    @cached_property
    def draft_template(self) -> Template:
        return publish_template(
            self.actor("alice"), APPROVAL_MINI_TASKS, name="Draft SOP", publish=False
        )

    def mini_project(self, store_name: str) -> StoreProject:
        """Another project of bob's (carol on the team) from :attr:`template`; its first task
        needs the business licence, so the entity gets its documents."""
        return build_project(
            manager=self.actor("bob"),
            template=self.template,
            entity=self.entity,
            members=[self.users["carol"]],
            store_name=store_name,
            documents=True,
        )

    @cached_property
    def approval(self) -> ApprovalRequest:
        """Pending, one level, requested by carol on a project bob manages."""
        from linkstar.projects.services import update_task

        project = self.mini_project("Mini Shop")
        task = project.tasks.get(key="collect")
        as_carol = self.actor("carol")
        task = update_task(actor=as_carol, task=task, status="in_progress")
        update_task(actor=as_carol, task=task, status="done")
        return ApprovalRequest.objects.get(task=task)

    @cached_property
    def cancelled_project(self) -> StoreProject:
        """Cancelled today by its manager: an administrator may restore it."""
        from linkstar.projects.services import change_stage

        project = self.mini_project("Cancelled Shop")
        return change_stage(actor=self.actor("bob"), project=project, stage="cancelled")

    @cached_property
    def closable_project(self) -> StoreProject:
        """Cancelled, every task skipped: its manager may close it."""
        from linkstar.projects.services import change_stage, skip_task

        project = self.mini_project("Closable Shop")
        as_bob = self.actor("bob")
        change_stage(actor=as_bob, project=project, stage="cancelled")
        for task in project.tasks.order_by("position"):
            skip_task(actor=as_bob, task=task, reason="store cancelled")
        return project
