"""The document vault (资料库): files of seller entities and their people, with validity dates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import OrgOwned


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")


class Document(OrgOwned):
    """One version of one document; a new upload of the same type for the same owner supersedes
    the current one (``is_current``) and keeps it as an older version."""

    entity = models.ForeignKey(
        "entities.SellerEntity", on_delete=models.PROTECT, related_name="documents"
    )
    document_type = models.ForeignKey(
        "catalog.DocumentType", on_delete=models.PROTECT, related_name="+"
    )
    issue_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "entity", "document_type", "is_current"])]

    def __str__(self) -> str:
        return f"{self.document_type_id} #{self.pk}"

    def status_on(self, day: dt.date, *, warn_days: int | None = None) -> str:
        if self.expiry_date is None:
            return DocumentStatus.VALID
        if self.expiry_date < day:
            return DocumentStatus.EXPIRED
        warn = settings.LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS if warn_days is None else warn_days
        if self.expiry_date <= day + dt.timedelta(days=warn):
            return DocumentStatus.EXPIRING
        return DocumentStatus.VALID
