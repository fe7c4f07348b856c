"""The words of the audit events of approval requests, and how a project's history says them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.approvals.models import ApprovalStatus, Decision
from linkstar.audit import labels

labels.register(
    actions={
        "approval.requested": _("Approval requested"),
        "approval.approved": _("Approval approved"),
        "approval.rejected": _("Approval rejected"),
        "approval.withdrawn": _("Approval request withdrawn"),
    },
    groups={"approval.": _("Approvals: all")},
    object_types={"approvalrequest": pgettext_lazy("audit", "Approval request")},
    fields={
        "levels": pgettext_lazy("audit", "Approval levels"),
        "level": pgettext_lazy("audit", "Level"),
        "decision": pgettext_lazy("audit", "Decision"),
        "approval_request": _("Approval request"),
        "approvalrequest.status": _("Approval status"),
    },
    values={"status": {"approvalrequest": ApprovalStatus.choices}, "decision": Decision.choices},
    formatters={"approval_request": lambda value: f"#{value}"},
    sentences={
        "approval.requested": _("asked for approval of “%(task)s”"),
        "approval.approved": _("approved level %(level)s of “%(task)s”"),
        "approval.rejected": _("rejected “%(task)s” at level %(level)s"),
        "approval.withdrawn": _("withdrew the approval request of “%(task)s”"),
    },
    hidden={"level", "decision"},
)
