"""The task page's attachments panel, rendered where the task page includes
``documents/_task_attachments.html`` (two queries: the attachments, the attachable documents)."""

from __future__ import annotations

from django import template

from linkstar.catalog.models import DocumentType
from linkstar.core import policy
from linkstar.documents import selectors, services
from linkstar.documents.models import Document, DocumentStatus

register = template.Library()


def decorate(documents, today) -> list[Document]:
    """Status, its label and the days left, for the badges."""
    labels = dict(DocumentStatus.choices)
    for document in documents:
        document.status = document.status_on(today)
        document.status_label = labels[document.status]
        document.days_to_expiry = document.days_left(today)
        document.days_expired = (
            -document.days_to_expiry if document.status == DocumentStatus.EXPIRED else 0
        )
    return documents


def attachments_panel_context(
    *, actor, task, error: str | None = None, can_work=None, document_types=None
) -> dict:

    today = services.org_today(actor.organization)
    active = task.project.status == "active"
    if can_work is None:
        can_work = active and policy.can(actor, "task.work", task)
    attachments = selectors.task_attachments(task=task)
    decorate([a.document for a in attachments], today)
    candidates = (
        decorate(selectors.attachable_documents(actor=actor, task=task, today=today), today)
        if can_work and active
        else []
    )
    can_attach = bool(can_work and active)
    return {
        "actor": actor,
        "task": task,
        "attachments": attachments,
        "candidates": candidates,
        "can_attach": can_attach,
        "upload_types": _upload_types(task, document_types) if can_attach else [],
        "attach_error": error,
    }


def _upload_types(task, types=None) -> list[tuple[str, str]]:
    """The document types to offer for an upload from the task: the task's own first.
    ``types``: the catalog's types in order, when the page has them already."""

    if types is None:
        types = list(DocumentType.objects.order_by("position"))
    own = set(task.document_types or [])
    return [(t.code, t.display_name) for t in types if t.code in own] + [
        (t.code, t.display_name) for t in types if t.code not in own
    ]


@register.inclusion_tag("documents/_attachments_panel.html", takes_context=True)
def task_attachments(context):
    """Needs ``actor`` and ``task`` (with its project) in the page's context; uses the page's
    ``can_work`` when it has one."""
    panel = attachments_panel_context(
        actor=context["actor"],
        task=context["task"],
        can_work=context.get("can_work"),
        document_types=context.get("all_document_types"),
    )
    panel["request"] = context.get("request")
    return panel
