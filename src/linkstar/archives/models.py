"""Project archives (.zip built in the background) and personal calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.core.models import OrgOwned


class ArchiveStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being built")
    DONE = "done", pgettext_lazy("archive status", "Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ArchiveJob(OrgOwned):
    """One requested archive: which projects (fixed when it is requested), how far the build is,
    and where the finished ``.zip`` lies (``storage_name`` in the documents storage, under
    ``archives/``) until ``expires_at``."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The filters of the project list it was requested with (empty for a list of ids).
    filters = models.JSONField(default=dict, blank=True)
    project_ids = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=ArchiveStatus.choices, default=ArchiveStatus.QUEUED
    )
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    storage_name = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    file_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    download_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("project archive")
        indexes = [
            models.Index(fields=["organization", "requested_by"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return self.file_name or f"archive #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ArchiveStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * self.processed / self.total))

    @property
    def is_pending(self) -> bool:
        return self.status in (ArchiveStatus.QUEUED, ArchiveStatus.RUNNING)


class ArchiveDownload(models.Model):
    """Who has downloaded an archive (the first download per person is audited)."""

    job = models.ForeignKey(ArchiveJob, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "user"], name="uniq_archive_download")
        ]

    def __str__(self) -> str:
        return f"archive {self.job_id} ← user {self.user_id} ×{self.count}"


class CalendarFeed(OrgOwned):
    """A secret iCalendar address of one member's due dates in one organization. Only the
    SHA-256 of the token is kept; the address is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calendar feed")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="uniq_active_calendar_feed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"
