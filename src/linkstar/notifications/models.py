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
    # Set by ``publish_many`` on every event of one publication of several: the fan-out tells
    # each person (and each chat channel) once per batch, with a summary, not once per event.
    batch_key = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
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
            ),
            models.Index(
                fields=["batch_key"],
                condition=models.Q(batch_key__isnull=False),
                name="event_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EmailState(models.TextChoices):
    NONE = "", _("No mail")
    QUEUED = "queued", _("Mailed")
    DIGEST = "digest", _("Waiting for the daily digest")
    DIGESTED = "digested", _("Sent in a digest")


class Notification(models.Model):
    """What one person is told about one event, shown in their inbox.

    The texts are not stored: ``params`` (project code, store name, task title, due date …) are
    rendered in the reader's language each time (``linkstar.delivery.messages``)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("event"), max_length=64, choices=EventKind.choices)
    project = models.ForeignKey(
        "projects.StoreProject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=16, choices=EmailState.choices, default=EmailState.NONE, blank=True
    )

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="uniq_notification")
        ]
        indexes = [
            models.Index(fields=["recipient", "organization", "read_at"], name="notif_unread"),
            models.Index(fields=["recipient", "organization", "-created_at"], name="notif_inbox"),
            models.Index(
                fields=["organization", "recipient"],
                condition=models.Q(email_state="digest"),
                name="notif_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """One person's choices in one organization. No row: the defaults
    (``linkstar.notifications.preferences.DEFAULTS``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # The event kinds mailed and @-mentioned in chat; in-app is always on.
    email_kinds = models.JSONField(default=list, blank=True)
    chat_kinds = models.JSONField(default=list, blank=True)
    digest = models.BooleanField(_("daily digest instead of instant mail"), default=False)
    # In the organization's time zone; mail waits until the end. Both or neither.
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    # Several instant mails of one kind within a few minutes as one mail; None: as the
    # organization decides.
    coalesce_mail = models.BooleanField(_("one mail for several close together"), null=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("notification preference")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="uniq_notif_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.organization_id}"


class OrgNotificationSettings(models.Model):
    """An organization's reminder rules; no row: the ``LINKSTAR_*`` defaults."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="notification_settings"
    )
    # Days before the due date a "due soon" reminder goes out; 0 is the due day.
    due_soon_days = models.JSONField(_("due-soon reminders (days before)"), default=list)
    stalled_days = models.PositiveIntegerField(_("stalled after (days without activity)"))
    # Reminders go out from this time of day in the organization's time zone; None: the
    # LINKSTAR_REMINDER_TIME default.
    reminder_time = models.TimeField(_("reminders from"), null=True, blank=True)
    # None: LINKSTAR_MAIL_COALESCE.
    coalesce_mail = models.BooleanField(_("one mail for several close together"), null=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("organization notification settings")

    def __str__(self) -> str:
        return f"notification settings of {self.organization_id}"


class DigestRun(models.Model):
    """One daily digest mail per person, organization and day (the unique key decides when two
    workers run the digest job at once)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "day"], name="uniq_digest_run")
        ]

    def __str__(self) -> str:
        return f"digest {self.user_id} {self.day}"
