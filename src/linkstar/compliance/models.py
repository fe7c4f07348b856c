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
    CLOSED = "closed", _("Closed")


class RiskBasis(models.TextChoices):
    """Why two projects may be linked: different seller entities sharing identifiers on the
    platform, or one entity opening a second account on the same site."""

    SHARED_IDENTIFIERS = "shared_identifiers", _("Shared identifiers")
    SECOND_ACCOUNT = "second_account", _("Second account on the same site")


class CloseReason(models.TextChoices):
    IDENTIFIERS_CHANGED = "identifiers_changed", _("The identifiers no longer match")
    RULES_CHANGED = "rules_changed", _("Rules changed")
    PROJECT_CANCELLED = "project_cancelled", _("One of the projects was cancelled")


class AssociationRisk(OrgOwned):
    """Two projects of one organization that the platform may link (关联): one row per pair
    (``project_id < other_project_id``), listing every identifier they share (``identifiers``:
    ``[{"kind", "digest", "masked"}]``, digests being keyed blind indexes), seen from both sides
    and acknowledged once with a business reason. ``kind``/``masked``/``digest`` repeat the first
    identifier; ``kinds`` holds every kind as `` a b `` for filtering. A risk that no longer holds
    is ``closed`` with its reason, so acknowledged history is never lost."""

    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="association_risks"
    )
    other_project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="+"
    )
    basis = models.CharField(
        max_length=24, choices=RiskBasis.choices, default=RiskBasis.SHARED_IDENTIFIERS
    )
    identifiers = models.JSONField(default=list)
    kinds = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=32)
    masked = models.CharField(max_length=200)
    digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=24, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("association risk")
        verbose_name_plural = _("association risks")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "other_project"], name="uniq_association_risk_pair"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["project", "status"]),
            models.Index(fields=["other_project", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.kinds.strip()}: {self.project_id} ~ {self.other_project_id}"


def orient(risk: AssociationRisk, project_id: int | None) -> AssociationRisk:
    """``risk`` seen from ``project_id``: when that project is the pair's second one, the two
    sides swap on this instance (for display only: an oriented risk is never saved)."""
    if project_id is not None and risk.other_project_id == project_id:
        project = risk.other_project if "other_project" in risk._state.fields_cache else None
        other = risk.project if "project" in risk._state.fields_cache else None
        risk.project_id, risk.other_project_id = risk.other_project_id, risk.project_id
        if project is not None:
            risk.project = project
        if other is not None:
            risk.other_project = other
        risk._oriented = True
    return risk


class StoreIdentifier(models.Model):
    """The registration environment of one store (防关联环境): its registration email and phone,
    the IP address or proxy and the device or browser profile used — kept, like an entity's
    identifiers, only as a keyed blind index with a masked label."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="store_identifiers"
    )
    kind = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)
    masked = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["organization", "digest"])]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="uniq_store_identifier")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.masked}"
