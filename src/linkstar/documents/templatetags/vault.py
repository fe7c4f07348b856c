"""The task page's attachments panel, rendered where the task page includes
``documents/_task_attachments.html`` (two queries: the attachments, the attachable documents)."""

from __future__ import annotations

from django import template

from linkstar.core import policy
from linkstar.documents import selectors, services

register = template.Library()


def attachments_panel_context(*, actor, task, error: str | None = None, can_work=None) -> dict:
    from linkstar.documents.views import decorate

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
    return {
        "actor": actor,
        "task": task,
        "attachments": attachments,
        "candidates": candidates,
        "can_attach": bool(can_work and active),
        "attach_error": error,
    }


@register.inclusion_tag("documents/_attachments_panel.html", takes_context=True)
def task_attachments(context):
    """Needs ``actor`` and ``task`` (with its project) in the page's context; uses the page's
    ``can_work`` when it has one."""
    panel = attachments_panel_context(
        actor=context["actor"], task=context["task"], can_work=context.get("can_work")
    )
    panel["request"] = context.get("request")
    return panel
