"""The platform's own mail (外部邮件联动): registration mailboxes of projects, the IMAP accounts
the worker polls, the messages brought in, their attachments, keyword rules and the stage
changes they propose to a person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linkstar.core.crypto import EncryptedTextField
from linkstar.core.models import OrgOwned, Versioned


class ProjectMailbox(OrgOwned):
    """The registration mailbox address of a project: mail the platform sends to it belongs to
    the project. One address per project, unique in the organization (lower case)."""

    project = models.OneToOneField(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="mailbox"
    )
    address = models.EmailField(_("mailbox address"), max_length=254)

    class Meta:
        ordering = ["address"]
        verbose_name = _("project mailbox")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address"], name="uniq_platformmail_address"
            )
        ]

    def __str__(self) -> str:
        return self.address


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain)")


class MailAccount(OrgOwned, Versioned):
    """An IMAP mailbox the worker polls. The password is stored encrypted and never shown back.
    ``last_uid`` under ``uid_validity`` is the last message imported: a poll fetches only newer
    UIDs; ``lease_until`` lets one worker poll an account at a time."""

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("user name"), max_length=255)
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    enabled = models.BooleanField(_("enabled"), default=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_imported = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mail account")

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"


class Source(models.TextChoices):
    IMAP = "imap", _("IMAP")
    UPLOAD = "upload", _("Upload")
    API = "api", _("API")


class ParseStatus(models.TextChoices):
    OK = "ok", _("Parsed")
    UNPARSABLE = "unparsable", _("Unparsable")


class MatchedBy(models.TextChoices):
    NONE = "", _("Not matched")
    RECIPIENT = "recipient", _("Recipient address")
    SENDER_DOMAIN = "sender_domain", _("Platform sender domain")
    MANUAL = "manual", _("Assigned by a person")


class InboundMessage(OrgOwned):
    """One message, imported once per organization (by Message-ID and by the SHA-256 of its
    bytes). ``project`` is empty for mail no project address matched: an administrator assigns
    it. The raw ``.eml`` is kept in the documents storage under ``raw_name``."""

    project = models.ForeignKey(
        "projects.StoreProject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="platform_mail",
    )
    account = models.ForeignKey(
        MailAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    message_id = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to_addresses = models.JSONField(default=list)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    html_body = models.TextField(blank=True)  # sanitised
    text_body = models.TextField(blank=True)
    raw_name = models.CharField(max_length=255, blank=True)
    raw_size = models.PositiveIntegerField(default=0)
    parse_status = models.CharField(
        max_length=12, choices=ParseStatus.choices, default=ParseStatus.OK
    )
    parse_error = models.TextField(blank=True)
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices, blank=True)
    # The platform the sender's domain belongs to (rules.json), "" when unknown.
    sender_platform = models.CharField(max_length=40, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    # What the mail says when read (rules.read_mail): the stage of its best signal, the sentence
    # and the confidence (0-100). ``may_matter``: a signal below the bar, or one the project's
    # stage machine refused: no proposal, but a person should look.
    signal_stage = models.CharField(max_length=16, blank=True)
    signal_sentence = models.TextField(blank=True)
    signal_confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    may_matter = models.BooleanField(default=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("platform mail message")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sha256"], name="uniq_platformmail_sha256"
            ),
            models.UniqueConstraint(
                fields=["organization", "message_id"],
                condition=~Q(message_id=""),
                name="uniq_platformmail_message_id",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "project", "created_at"]),
            models.Index(
                fields=["organization", "created_at"],
                condition=Q(may_matter=True),
                name="platformmail_may_matter",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"

    @property
    def sent_or_received(self):
        return self.sent_at or self.created_at


class MailAttachment(models.Model):
    """An attachment of a message. Filed in the vault as a document of the project's seller
    entity when the vault accepts its type (``document``); otherwise kept only inside the raw
    message, with the vault's reason in ``refused_reason``."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    position = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refused_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["message_id", "position"]

    def __str__(self) -> str:
        return self.filename


class KeywordRule(OrgOwned):
    """An organization's own phrase for a platform: mail from that platform that states it (read
    sentence by sentence as the shipped phrases are: not in a conditional, future or negated
    clause, a quoted mail or a footer) proposes ``stage``, weighed as a platform phrase. The
    shipped phrases live in ``data/rules.json``."""

    platform = models.ForeignKey("catalog.Platform", on_delete=models.CASCADE, related_name="+")
    phrase = models.CharField(_("phrase"), max_length=200)
    stage = models.CharField(_("proposed stage"), max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["platform_id", "stage", "phrase"]
        verbose_name = _("keyword rule")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "platform", "phrase"], name="uniq_platformmail_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.stage}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class StageProposal(OrgOwned):
    """A stage change a platform message suggests. Nothing moves by itself: a person accepts
    (the move then goes through ``change_stage`` as that person) or dismisses it."""

    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="stage_proposals"
    )
    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="proposals")
    from_stage = models.CharField(max_length=16)
    stage = models.CharField(max_length=16)
    phrase = models.CharField(max_length=200, blank=True)
    # The sentence of the mail that proposes the stage, and how sure the reading is (0-100).
    sentence = models.TextField(blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stage proposal")
        indexes = [models.Index(fields=["organization", "project", "status"])]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.stage} ({self.status})"
