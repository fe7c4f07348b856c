"""Domain events (a transactional outbox of what happened) and the in-app notifications made
from them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linkstar.core import clock
from linkstar.notifications.kinds import EventKind


class Event(models.Model):
    """Something that happened, written in the transaction of the change that caused it.

    After commit a job fans it out into notifications (people) and deliveries (chat robots,
    webhooks); a periodic sweep picks up any event whose job was lost, so nothing is missed.
    ``dedupe_key`` makes scheduled events (reminders) idempotent across workers and restarts.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=64, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "projects.StoreProject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # NULL, not "": only scheduled events carry a key, and NULLs never collide.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], name="uniq_event_dedupe_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(processed_at__isnull=True),
                name="event_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
