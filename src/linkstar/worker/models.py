"""The worker's own tables: who ran a periodic job's slot, which workers are alive, which job
attempts failed. The job queue itself is the django-tasks backend's (a table or Redis)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """One periodic job in one slot of its period. Whoever inserts the row enqueues the job, so
    two schedulers running at once enqueue it once (the unique constraint decides)."""

    name = models.CharField(_("job"), max_length=100)
    slot = models.BigIntegerField(_("slot"))  # seconds since the epoch // period
    scheduled_at = models.DateTimeField(_("scheduled at"))
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    job_id = models.CharField(_("job id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="worker_uniq_scheduled_slot")
        ]
        indexes = [models.Index(fields=["scheduled_at"], name="worker_sched_at_idx")]

    def __str__(self) -> str:
        return f"{self.name} #{self.slot}"


class WorkerHeartbeat(models.Model):
    """A running ``linkstar worker``; its row is refreshed every few seconds while it lives."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(default=0)
    backend = models.CharField(max_length=16, default="db")
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class JobFailure(models.Model):
    """One failed attempt of a background job: what failed, why, and what happens next."""

    class Outcome(models.TextChoices):
        RETRY = "retry", _("Will be retried")
        FAILED = "failed", _("Gave up")

    job_id = models.CharField(_("job id"), max_length=64, db_index=True)
    task_path = models.CharField(_("task"), max_length=255)
    backend = models.CharField(_("backend"), max_length=16)
    attempt = models.PositiveIntegerField(_("attempt"))
    max_attempts = models.PositiveIntegerField(_("attempts allowed"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    error_class = models.CharField(_("error"), max_length=255)
    message = models.TextField(_("message"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    failed_at = models.DateTimeField(_("failed at"), db_index=True)

    class Meta:
        verbose_name = _("job failure")
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_path} attempt {self.attempt}: {self.error_class}"


class IdempotencyRecord(models.Model):
    """The first answer to an API request sent with an ``Idempotency-Key`` header, replayed to
    retries of the same request (same caller, organization and key) until it expires."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    org_slug = models.CharField(max_length=50, blank=True)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    # null while the first request is still being answered
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org_slug", "key"], name="worker_uniq_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
