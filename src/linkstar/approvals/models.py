"""Approval requests on tasks, decided level by level with four eyes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.core.models import OrgOwned


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval status", "Pending")
    APPROVED = "approved", pgettext_lazy("approval status", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("approval status", "Withdrawn")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ApprovalRequest(OrgOwned):
    task = models.ForeignKey(
        "projects.Task", on_delete=models.CASCADE, related_name="approval_requests"
    )
    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="approval_requests"
    )
    levels = models.PositiveSmallIntegerField()
    current_level = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval request")
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"approval #{self.pk} on task {self.task_id}"


class ApprovalDecision(models.Model):
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    level = models.PositiveSmallIntegerField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["request_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["request", "level"], name="uniq_decision_level")
        ]

    def __str__(self) -> str:
        return f"level {self.level}: {self.decision}"
