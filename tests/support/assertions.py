"""Assertions shared by the test modules: the API's error format, and the fingerprint of
everything a refused request must leave as it was."""

from __future__ import annotations

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
