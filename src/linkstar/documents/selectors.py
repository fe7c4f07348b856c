"""Reads on the vault, scoped by ``visible_documents``, each at a fixed query cost."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet

from linkstar.accounts.models import Role
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.documents.models import Document, DocumentStatus, TaskAttachment
from linkstar.entities.selectors import visible_entities
from linkstar.projects.visibility import sees_all_projects, team_projects, visible_tasks

RELATED = ("entity", "document_type", "uploaded_by")


def visible_documents(actor: Actor) -> QuerySet:
    """Vault documents: all of the organization's for the roles that see every project; a
    client its own entity's; an operator those of the entities of the projects it is on."""
    qs = Document.objects.filter(organization_id=actor.organization.pk)
    if sees_all_projects(actor):
        return qs
    if actor.role == Role.CLIENT:
        return qs.filter(entity_id=actor.entity_id) if actor.entity_id else qs.none()
    return qs.filter(entity_id__in=team_projects(actor).values("entity_id"))


def upload_entities(actor: Actor) -> QuerySet:
    """The seller entities an actor may upload documents for (``document.upload``)."""
    qs = visible_entities(actor)
    if actor.is_admin or actor.role in {Role.MANAGER, Role.CLIENT}:
        return qs
    if actor.role in {Role.OPERATOR, Role.REVIEWER}:
        return qs.filter(pk__in=team_projects(actor).values("entity_id"))
    return qs.none()


def warn_days() -> int:
    return settings.LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS


def status_filter(status: str, today: dt.date) -> Q:
    """The SQL twin of ``Document.status_on`` for one status."""
    warn_until = today + dt.timedelta(days=warn_days())
    if status == DocumentStatus.EXPIRED:
        return Q(expiry_date__lt=today)
    if status == DocumentStatus.EXPIRING:
        return Q(expiry_date__gte=today, expiry_date__lte=warn_until)
    if status == DocumentStatus.VALID:
        return Q(expiry_date__isnull=True) | Q(expiry_date__gt=warn_until)
    raise ValueError(status)


def document_list(
    *,
    actor: Actor,
    today: dt.date,
    entity: int | None = None,
    document_type: str | None = None,
    status: str | None = None,
    current_only: bool = True,
) -> QuerySet[Document]:
    """The documents the actor may see, newest first; by default the current version of each."""
    qs = visible_documents(actor).select_related(*RELATED)
    if current_only:
        qs = qs.filter(is_current=True)
    if entity:
        qs = qs.filter(entity_id=entity)
    if document_type:
        qs = qs.filter(document_type__code=document_type)
    if status:
        qs = qs.filter(status_filter(status, today))
    return qs.order_by("entity__name", "document_type__position", "person_name", "-id")


def entity_documents(*, actor: Actor, entity) -> dict[str, list[Document]]:
    """An entity's current documents by type code (several when they belong to different
    people): what readiness checks against."""
    found: dict[str, list[Document]] = {}
    qs = (
        visible_documents(actor)
        .filter(entity_id=entity.pk, is_current=True)
        .select_related("document_type")
        .order_by("document_type__position", "person_name", "id")
    )
    for document in qs:
        found.setdefault(document.document_type.code, []).append(document)
    return found


def expiring_documents(
    *, actor: Actor, today: dt.date, horizon_days: int | None = None
) -> QuerySet[Document]:
    """What expires next across the organization: current documents already expired or
    expiring within the horizon (``LINKSTAR_DOCUMENT_EXPIRY_HORIZON_DAYS``, 60), soonest first."""
    days = settings.LINKSTAR_DOCUMENT_EXPIRY_HORIZON_DAYS if horizon_days is None else horizon_days
    return (
        visible_documents(actor)
        .filter(is_current=True, expiry_date__isnull=False)
        .filter(expiry_date__lte=today + dt.timedelta(days=days))
        .select_related(*RELATED)
        .order_by("expiry_date", "entity__name", "id")
    )


def document_get(*, actor: Actor, document_id: int) -> Document:
    """One visible document, or ``NotFound`` (also for another organization's)."""
    return policy.get_visible(visible_documents(actor).select_related(*RELATED), pk=document_id)


def document_versions(*, document: Document) -> list[Document]:
    """Every version of a document (same entity, type and person), newest first."""
    return list(
        Document.objects.filter(
            entity_id=document.entity_id,
            document_type_id=document.document_type_id,
            person_name=document.person_name,
        )
        .select_related("uploaded_by")
        .order_by("-version_number", "-id")
    )


def document_uses(*, actor: Actor, documents: list[Document]) -> list[TaskAttachment]:
    """Where these documents were used: their attachments on tasks the actor may see."""
    return list(
        TaskAttachment.objects.filter(
            document__in=[d.pk for d in documents],
            task__in=visible_tasks(actor).values("pk"),
        )
        .select_related("task__project__site", "document", "attached_by")
        .order_by("-attached_at", "-id")
    )


def task_attachments(*, task) -> list[TaskAttachment]:
    return list(
        TaskAttachment.objects.filter(task_id=task.pk)
        .select_related("document__document_type", "document__entity", "attached_by")
        .order_by("attached_at", "id")
    )


def attachment_get(*, actor: Actor, task, attachment_id: int) -> TaskAttachment:
    return policy.get_visible(
        TaskAttachment.objects.filter(task_id=task.pk).select_related(
            "task__project", "document__document_type", "document__entity", "attached_by"
        ),
        pk=attachment_id,
    )


def attachable_documents(*, actor: Actor, task, today: dt.date) -> list[Document]:
    """The current, unexpired documents of the task's entity not yet attached to it."""
    return list(
        visible_documents(actor)
        .filter(entity_id=task.project.entity_id, is_current=True)
        .exclude(Q(expiry_date__lt=today) | Q(attachments__task_id=task.pk))
        .select_related("document_type")
        .order_by("document_type__position", "person_name", "-id")
    )
