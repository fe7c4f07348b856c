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


_SIGNATURE_DINGTALK = _(
    "DingTalk refused the message at its security check. In the robot's security settings "
    "(安全设置): the signing secret (加签) must be the one saved on this channel; each custom "
    "keyword (自定义关键词) must be among this channel's security keywords; and if an IP range "
    "(IP地址段) is set, it must include the address LinkStar sends from."
)
_TOKEN_DINGTALK = _(
    "DingTalk does not know this robot's access token: the robot was removed or its webhook "
    "address changed. Copy the webhook URL again from the robot's settings."
)
_DISABLED_DINGTALK = _(
    "The DingTalk group or robot is disabled: enable the robot again in the group's settings."
)
_URL_WECOM = _(
    "WeCom does not accept this webhook address: copy the robot's webhook URL, with its key, "
    "again from the group's robot settings."
)
_GONE_WECOM = _(
    "The WeCom robot is disabled or no longer in the group: add it to the group again and copy "
    "its new webhook URL."
)
PROBLEM_HINTS = {
    ("dingtalk", 310000): _SIGNATURE_DINGTALK,
    ("dingtalk", 300001): _TOKEN_DINGTALK,
    ("dingtalk", 300005): _TOKEN_DINGTALK,
    ("dingtalk", 400013): _DISABLED_DINGTALK,
    ("dingtalk", 400101): _DISABLED_DINGTALK,
    ("wecom", 93000): _URL_WECOM,
    ("wecom", 93004): _GONE_WECOM,
    ("wecom", 93008): _GONE_WECOM,
    ("feishu", 19001): _(
        "Feishu does not know this bot's webhook address: copy it again from the bot's settings."
    ),
    ("feishu", 19021): _(
        "Feishu refused the signature: the signing secret (签名校验) in the bot's security "
        "settings must be the one saved on this channel."
    ),
    ("feishu", 19022): _(
        "Feishu refused the address LinkStar sends from: add it to the bot's IP whitelist "
        "(IP 白名单), or remove the whitelist."
    ),
    ("feishu", 19024): _(
        "Feishu found none of the bot's custom keywords (自定义关键词) in the message: add them "
        "to this channel's security keywords."
    ),
}


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
    # The robot's "custom keywords" security setting (DingTalk, Feishu): a message is refused
    # unless it contains one, so every message carries them all.
    keywords = models.JSONField(_("security keywords"), default=list, blank=True)
    # Set when the platform answered "too many messages": nothing is sent before it.
    blocked_until = models.DateTimeField(null=True, blank=True)
    # The platform's last refusal of the robot's set-up ("error 310000: …"), until a message
    # goes through again: the channel page says what to change (:attr:`problem_hint`).
    problem = models.CharField(max_length=300, blank=True, default="")
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

    @property
    def problem_code(self) -> int | None:
        found = re.match(r"error (\d+)", self.problem or "")
        return int(found.group(1)) if found else None

    @property
    def problem_hint(self) -> str:
        """What to change in the robot's security settings, in words, for the last refusal."""
        if not self.problem:
            return ""
        hint = PROBLEM_HINTS.get((self.kind, self.problem_code))
        return str(
            hint or _("The platform refused the robot's settings: check its security settings.")
        )

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


class RateSlot(models.Model):
    """One message sent (or about to be) on a rate-limited chat channel: the sliding window of
    :mod:`linkstar.delivery.ratelimit`, shared by every worker through the database."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["channel", "at"], name="rateslot_window")]

    def __str__(self) -> str:
        return f"{self.channel_id} @ {self.at}"


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
