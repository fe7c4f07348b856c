"""Document requests (补料请求): the team asks a client for documents, item by item; the client
uploads against each item (logged in, or through an expiring link); the team accepts each upload
into the vault or sends it back with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.core.models import OrgOwned, Versioned


class RequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("document request status", "Open")
    DONE = "done", pgettext_lazy("document request status", "Complete")
    CANCELLED = "cancelled", pgettext_lazy("document request status", "Withdrawn")


class ItemStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("requested document", "Waiting for upload")
    SUBMITTED = "submitted", pgettext_lazy("requested document", "Awaiting review")
    ACCEPTED = "accepted", pgettext_lazy("requested document", "Accepted")
    REJECTED = "rejected", pgettext_lazy("requested document", "Sent back")


class UploadStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("request upload", "Awaiting review")
    ACCEPTED = "accepted", pgettext_lazy("request upload", "Accepted")
    REJECTED = "rejected", pgettext_lazy("request upload", "Sent back")
    REPLACED = "replaced", pgettext_lazy("request upload", "Replaced by a newer upload")


class DocumentRequest(OrgOwned, Versioned):
    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="document_requests"
    )
    # The project's seller entity, kept on the request: the client it is addressed to.
    entity = models.ForeignKey(
        "entities.SellerEntity", on_delete=models.CASCADE, related_name="document_requests"
    )
    message = models.TextField(_("message to the client"), blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document request")
        indexes = [
            models.Index(fields=["organization", "status", "due_date"]),
            models.Index(fields=["organization", "entity", "status"]),
        ]

    def __str__(self) -> str:
        return f"document request #{self.pk}"


class RequestItem(models.Model):
    """One document asked for: its type, what exactly is wanted, and where it stands."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    request = models.ForeignKey(DocumentRequest, on_delete=models.CASCADE, related_name="items")
    document_type = models.ForeignKey(
        "catalog.DocumentType", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.WAITING)
    # Why the last upload was sent back, shown to the client until it uploads again.
    reason = models.CharField(max_length=500, blank=True)
    # The vault document the accepted upload became.
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("requested document")

    def __str__(self) -> str:
        return f"item #{self.pk} of document request #{self.request_id}"


class RequestUpload(OrgOwned):
    """A file the client sent for an item. It waits in the request's own folder of the documents
    storage until the team accepts it; then it becomes the current vault version."""

    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="uploads")
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    storage_name = models.CharField(max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.ForeignKey(
        "docrequests.UploadLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("uploaded file")

    def __str__(self) -> str:
        return f"{self.original_name} (upload #{self.pk})"


class UploadLink(OrgOwned):
    """An expiring link that lets someone without an account upload to one request. Only the
    SHA-256 of its token is kept; the token is shown once, when the link is made."""

    request = models.ForeignKey(DocumentRequest, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("upload link")

    def __str__(self) -> str:
        return f"upload link #{self.pk} of document request #{self.request_id}"
