"""Append-only audit events, hash-chained per organization."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")


class AuditEvent(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.DO_NOTHING, related_name="+", db_constraint=True
    )
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    # PROTECT, not SET_NULL: deleting a user would rewrite actor_id on their events behind the
    # append-only guard and break the chain; deactivate users instead.
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    ip = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    # The project an event belongs to, so a project's history is one indexed query.
    project_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How ``hash`` was computed: "" for the plain SHA-256 of the first version (events written
    # before the keyed hash), "hmac:<key id>" for HMAC-SHA256 with the audit key of that id.
    hash_scheme = models.CharField(max_length=32, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        ordering = ["organization_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "seq"], name="uniq_audit_seq")
        ]
        indexes = [
            models.Index(fields=["organization", "object_type", "object_id"]),
            models.Index(fields=["organization", "project_id"]),
            models.Index(fields=["organization", "action"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditChainHead(models.Model):
    """The last link of an organization's chain; locked while appending, so appends serialise
    and a truncated tail is detected."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain head #{self.last_seq}"
