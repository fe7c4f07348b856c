"""Compliance (合规): document-readiness overrides and association risks (关联风险).

Readiness itself is computed, not stored (``services.readiness``); what is stored is a manager's
decision to go on without it. An association risk is one shared identifier between two projects
of one organization on the same platform (and region, where the platform's rule is per region).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import OrgOwned


class ReadinessOverride(OrgOwned):
    """A manager's documented decision to submit although readiness is below 100 %. It covers
    the incomplete items it names (``items``): a new gap found later needs a new override."""

    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="readiness_overrides"
    )
    reason = models.TextField(_("reason"))
    # [{"document_type": code, "status": "missing" | "expired" | "expiring_before_submission"}]
    items = models.JSONField(default=list)
    percent = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("readiness override")
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"override #{self.pk} of project {self.project_id}"

    @property
    def covered(self) -> set[tuple[str, str]]:
        return {(i.get("document_type"), i.get("status")) for i in self.items or []}


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class AssociationRisk(OrgOwned):
    """``project`` shares one identifier (``kind``, ``digest``; shown as ``masked``) with
    ``other_project`` on the same platform account scope. Detected for both projects; each side
    is acknowledged on its own, with a business reason."""

    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="association_risks"
    )
    other_project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="+"
    )
    # The identifier kind on this project's side (entities.IdentifierKind).
    kind = models.CharField(max_length=32)
    masked = models.CharField(max_length=200)
    digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("association risk")
        verbose_name_plural = _("association risks")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "other_project", "kind", "digest"], name="uniq_association_risk"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["project", "status"]),
            models.Index(fields=["other_project", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.masked}: {self.project_id} ~ {self.other_project_id}"
