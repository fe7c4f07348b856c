"""The document vault (资料库): files of seller entities and their people, with validity dates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import OrgOwned


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")


class Document(OrgOwned):
    """One version of one document; a new upload of the same type for the same owner supersedes
    the current one (``is_current``) and keeps it as an older version.

    The file itself lives in the "documents" storage under ``storage_name``, a generated name that
    holds no user input; ``original_name`` is the uploader's file name, sanitised, used only as
    the download's suggested name."""

    entity = models.ForeignKey(
        "entities.SellerEntity", on_delete=models.PROTECT, related_name="documents"
    )
    document_type = models.ForeignKey(
        "catalog.DocumentType", on_delete=models.PROTECT, related_name="+"
    )
    # The person the document belongs to when it is not the company's own (a legal
    # representative's ID, a beneficial owner's passport); empty for the entity itself.
    person_name = models.CharField(_("person"), max_length=100, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_current = models.BooleanField(default=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    # 1 for the first upload of this type for this owner, then 2, 3 … for each replacement.
    version_number = models.PositiveIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    storage_name = models.CharField(max_length=255, default="")
    original_name = models.CharField(_("file name"), max_length=255, default="")
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, default="")
    content_type = models.CharField(max_length=100, default="")
    # When the file was destroyed (erasure on request, ``documents.privacy``, or the retention
    # period of closed projects, ``documents.retention``): the row stays so that attachments and
    # history still read, but it has no file, no file name and no personal metadata any more.
    file_removed_at = models.DateTimeField(_("file removed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        indexes = [
            models.Index(fields=["organization", "entity", "document_type", "is_current"]),
            models.Index(fields=["organization", "is_current", "expiry_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "document_type", "person_name"],
                condition=Q(is_current=True),
                name="uniq_current_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name or self.document_type_id} (#{self.pk})"

    def status_on(self, day: dt.date, *, warn_days: int | None = None) -> str:
        if self.expiry_date is None:
            return DocumentStatus.VALID
        if self.expiry_date < day:
            return DocumentStatus.EXPIRED
        warn = settings.LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS if warn_days is None else warn_days
        if self.expiry_date <= day + dt.timedelta(days=warn):
            return DocumentStatus.EXPIRING
        return DocumentStatus.VALID

    def days_left(self, day: dt.date) -> int | None:
        """Days until expiry (negative once expired); None for a document that does not expire."""
        return None if self.expiry_date is None else (self.expiry_date - day).days


class TaskAttachment(models.Model):
    """A document used for a task: which version of which licence went to which store."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="attachments")
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attached_at", "id"]
        verbose_name = _("attachment")
        constraints = [
            models.UniqueConstraint(fields=["task", "document"], name="uniq_task_attachment")
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} ← document {self.document_id}"


class DocumentRetention(models.Model):
    """How long an organization keeps the files of documents used only by closed projects:
    ``months`` after the last of those projects closed (``None``: keep them forever)."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="document_retention"
    )
    months = models.PositiveSmallIntegerField(
        _("keep documents of closed projects (months)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document retention")

    def __str__(self) -> str:
        return f"retention of organization {self.organization_id}: {self.months}"
