"""Fixtures for the API-as-a-client tests: a populated "acme" world and its fingerprint.

``world`` holds real objects of acme (a project, one of its tasks, an approval request, an
organization template, a draft template, a closable project ...). The heavier ones are built on
first use, so a test pays only for what it touches.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pytest

from linkstar.accounts.models import Membership, User
from linkstar.approvals.models import ApprovalDecision, ApprovalRequest
from linkstar.audit.models import AuditEvent
from linkstar.documents.models import Document, TaskAttachment
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    Identifier,
    SellerEntity,
    StoreCredential,
)
from linkstar.playbooks.models import Template, TemplateVersion
from linkstar.projects.models import Comment, StoreProject, Task
from tests.conftest import actor_of
from tests.gates import give_documents

MINI_TASKS = [
    {
        "key": "collect",
        "title": "Collect documents",
        "phase": "documents",
        "duration_days": 2,
        "role": "operator",
        "approval_levels": 1,
        "document_types": ["business_license"],
        "checklist": ["licence scanned"],
    },
    {
        "key": "submit",
        "title": "Submit the application",
        "phase": "registration",
        "offset_days": 2,
        "duration_days": 1,
        "depends_on": ["collect"],
    },
]


def org_template(actor, *, name: str, tasks: list[dict], publish: bool) -> Template:
    """An organization template with version 1 holding ``tasks``, published or left a draft."""
    from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks

    template = create_template(actor=actor, name=name, site="amazon-us")
    version = template.versions.get(number=1)
    version = replace_draft_tasks(actor=actor, version=version, tasks=tasks)
    if publish:
        publish_version(actor=actor, version=version)
    return template


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
        return org_template(self.actor("alice"), name="Mini SOP", tasks=MINI_TASKS, publish=True)

    @cached_property
    def draft_template(self) -> Template:
        return org_template(self.actor("alice"), name="Draft SOP", tasks=MINI_TASKS, publish=False)

    def mini_project(self, store_name: str) -> StoreProject:
        from linkstar.projects.services import create_project

        give_documents(self.entity)  # its first task needs the business licence
        return create_project(
            actor=self.actor("bob"),
            template_id=self.template.pk,
            store_name=store_name,
            entity_id=self.entity.pk,
            start_date=dt.date(2026, 11, 2),
            members=[self.users["carol"].pk],
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


@pytest.fixture
def world(
    org,
    alice,
    bob,
    carol,
    dave,
    erin,
    frank,
    grace,
    mallory,
    entity,
    entity_yunfan,
    project,
    amazon_na,
) -> World:
    users = {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "erin": erin,
        "frank": frank,
        "grace": grace,
        "mallory": mallory,
    }
    return World(
        org=org,
        users=users,
        entity=entity,
        entity_yunfan=entity_yunfan,
        project=project,
        amazon_na=amazon_na,
    )


def fingerprint() -> dict:
    """Everything a refused request must leave as it was, across all organizations."""
    return {
        "audit": AuditEvent.objects.count(),
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "is_active")),
        "members": list(
            Membership.objects.order_by("pk").values_list(
                "pk", "user_id", "organization_id", "role", "entity_id"
            )
        ),
        "entities": list(
            SellerEntity.objects.order_by("pk").values_list(
                "pk", "organization_id", "version", "name", "notes", "legal_rep_id_number"
            )
        ),
        "templates": list(Template.objects.order_by("pk").values_list("pk", "name")),
        "versions": list(
            TemplateVersion.objects.order_by("pk").values_list("pk", "number", "status", "version")
        ),
        "projects": list(
            StoreProject.objects.order_by("pk").values_list(
                "pk", "organization_id", "version", "store_name", "stage", "status", "manager_id"
            )
        ),
        "tasks": list(
            Task.objects.order_by("pk").values_list(
                "pk", "version", "status", "assignee_id", "due_date"
            )
        ),
        "comments": Comment.objects.count(),
        "approvals": list(
            ApprovalRequest.objects.order_by("pk").values_list("pk", "status", "current_level")
        ),
        "decisions": ApprovalDecision.objects.count(),
        "entity_records": [
            list(model.objects.order_by("pk").values_list("pk", "version"))
            for model in (
                EntityPerson,
                EntityContact,
                CollectionAccount,
                EntityCard,
                EntityAddress,
                StoreCredential,
            )
        ],
        "identifiers": list(Identifier.objects.order_by("pk").values_list("pk", "digest")),
        "documents": list(
            Document.objects.order_by("pk").values_list("pk", "is_current", "version_number")
        ),
        "attachments": list(TaskAttachment.objects.order_by("pk").values_list("pk")),
    }


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The error format of API.md: ``{"detail": "...", "code": "..."}`` with the given status."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body
