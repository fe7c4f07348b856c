"""Abstract bases shared by the domain apps."""

from __future__ import annotations

from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OrgOwned(TimeStamped):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Carries ``version`` for optimistic locking; services bump it on every change."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True
