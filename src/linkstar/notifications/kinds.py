"""The domain events LinkStar publishes. The strings are stable: they name notification
preferences and the events outbound webhooks subscribe to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventKind(models.TextChoices):
    PROJECT_CREATED = "project.created", _("Project created")
    PROJECT_STAGE_CHANGED = "project.stage_changed", _("Project stage changed")
    PROJECT_CLOSED = "project.closed", _("Project closed")
    PROJECT_STALLED = "project.stalled", _("Project stalled")
    PROJECT_REVIEW_LONG = "project.review_overdue", _("Review taking longer than usual")
    TASK_ASSIGNED = "task.assigned", _("Task assigned to me")
    TASK_DUE_SOON = "task.due_soon", _("Task due soon")
    TASK_OVERDUE = "task.overdue", _("Task overdue")
    TASK_DONE = "task.done", _("Task done")
    TASK_REOPENED = "task.reopened", _("My task reopened or returned for correction")
    APPROVAL_REQUESTED = "approval.requested", _("Approval requested of me")
    APPROVAL_DECIDED = "approval.decided", _("My approval request decided")
    COMMENT_MENTION = "comment.mention", _("I am @mentioned")
    COMMENT_FOR_CLIENT = "comment.for_client", _("New message from the agency")
    COMMENT_FROM_CLIENT = "comment.from_client", _("Client commented")
    DOCUMENT_EXPIRING = "document.expiring", _("Document expiring or expired")
    RISK_DETECTED = "risk.detected", _("New association risk")
    MAIL_RECEIVED = "mail.received", _("Platform mail received")
    MAIL_STAGE_PROPOSED = "mail.stage_proposed", _("Platform mail proposes a stage change")
    REQUEST_OPENED = "request.opened", _("Documents requested of us")
    REQUEST_UPLOADED = "request.uploaded", _("Client uploaded a requested document")
    REQUEST_REVIEWED = "request.reviewed", _("Requested document accepted or sent back")
    REQUEST_DUE_SOON = "request.due_soon", _("Document request due soon")
    REQUEST_OVERDUE = "request.overdue", _("Document request overdue")


# The inbox's filters (``?kind=``): a name for a few kinds a person looks for together.
INBOX_GROUPS: dict[str, tuple[str, ...]] = {
    "mentions": (EventKind.COMMENT_MENTION,),
    "approvals": (EventKind.APPROVAL_REQUESTED, EventKind.APPROVAL_DECIDED),
    "reminders": (
        EventKind.TASK_DUE_SOON,
        EventKind.TASK_OVERDUE,
        EventKind.PROJECT_STALLED,
        EventKind.PROJECT_REVIEW_LONG,
        EventKind.DOCUMENT_EXPIRING,
    ),
    "risks": (EventKind.RISK_DETECTED,),
    "mail": (EventKind.MAIL_RECEIVED, EventKind.MAIL_STAGE_PROPOSED),
    "requests": (
        EventKind.REQUEST_OPENED,
        EventKind.REQUEST_UPLOADED,
        EventKind.REQUEST_REVIEWED,
        EventKind.REQUEST_DUE_SOON,
        EventKind.REQUEST_OVERDUE,
    ),
}
INBOX_GROUP_LABELS = {
    "mentions": _("Mentions"),
    "approvals": _("Approvals"),
    "reminders": pgettext_lazy("inbox filter", "Reminders"),
    "risks": _("Risks"),
    "mail": _("Platform mail"),
    "requests": _("Document requests"),
}
