"""The outbox: channels that notifications and events go out on, and one row per message to send.

A ``Delivery`` is written in the transaction of whatever caused it (a notification fan-out, an
integration event); the worker sends it later, logs each ``DeliveryAttempt``, and retries with
exponential backoff until it is sent or given up (``dead``). Channel URLs and secrets are stored
encrypted and shown back masked only.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linkstar.core import clock
from linkstar.core.crypto import EncryptedTextField
from linkstar.core.masking import mask
from linkstar.core.models import Versioned


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu / Lark bot")
    WEBHOOK = "webhook", _("Signed JSON webhook")
    INTEGRATION = "integration", _("Integration webhook (ERP, BI)")


CHAT_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU, ChannelKind.WEBHOOK)
EMAIL = "email"


class DeliveryKind(models.TextChoices):
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    FEISHU = "feishu", _("Feishu")
    WEBHOOK = "webhook", _("Webhook")
    INTEGRATION = "integration", _("Integration")
    EMAIL = "email", _("Email")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Gave up")


def mask_url(url: str | None) -> str:
    """``https://oapi.dingtalk.com/robot/send?access_token=abc…`` → ``https://oapi.dingtalk.com/…9f3a``:
    robot URLs carry their key, so only the host and the last characters are shown."""
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return mask(url) or ""
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}"


class Channel(Versioned):
    """Where messages go: a chat robot of a team, a person's signed webhook, or an integration
    endpoint of another system. Optionally limited to one project and to some event kinds."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        "projects.StoreProject",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("project"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    url = EncryptedTextField(_("URL"))
    secret = EncryptedTextField(_("secret"), blank=True, default="")
    events = models.JSONField(_("events"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("channel")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_chat(self) -> bool:
        return self.kind in CHAT_KINDS

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    @property
    def masked_secret(self) -> str:
        # A fixed run of stars: a 64-character DingTalk secret would otherwise widen every
        # table it is shown in (and tell its length).
        masked = mask(self.secret) or ""
        return re.sub(r"\*{6,}", "******", masked)

    def takes(self, kind: str) -> bool:
        """Chat channels with no event list take every event; integrations only those listed."""
        if not self.events:
            return self.is_chat
        return kind in self.events


class Delivery(models.Model):
    """One message to send on one channel (or one mail to one person): the outbox row."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "notifications.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind.choices)
    # Where it goes, as shown in the log (the channel's name or the mail address).
    target = models.CharField(_("to"), max_length=254, blank=True)
    summary = models.CharField(_("message"), max_length=300, blank=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(default=6)
    created_at = models.DateTimeField(default=clock.now)
    not_before = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=clock.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a sweep or job writes its own token when it claims the row, and only
    # the holder records the outcome.
    lease_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["organization", "-created_at"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.target} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the other side answered, or why it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=clock.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return not self.error


class ChatHandle(models.Model):
    """How the chat robots can @-mention a member: mobile number or the platform's user ids."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mobile = EncryptedTextField(_("mobile"), blank=True, default="")
    wecom_user_id = models.CharField(_("WeCom user ID"), max_length=100, blank=True)
    dingtalk_user_id = models.CharField(_("DingTalk user ID"), max_length=100, blank=True)
    feishu_user_id = models.CharField(_("Feishu user ID (open_id)"), max_length=100, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("chat ID")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_chat_handle")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id}"

    def as_mention(self) -> dict:
        return {
            "user_id": self.user_id,
            "name": self.user.display_name if self.user_id else "",
            "mobile": self.mobile or "",
            "wecom_user_id": self.wecom_user_id,
            "dingtalk_user_id": self.dingtalk_user_id,
            "feishu_user_id": self.feishu_user_id,
        }
