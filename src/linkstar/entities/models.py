"""Seller entities (主体): the companies in whose name stores are opened."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from linkstar.core.models import OrgOwned, Versioned


class SellerEntity(OrgOwned, Versioned):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in Latin letters"), max_length=200, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=8, blank=True, default="CN")
    legal_rep_name = models.CharField(_("legal representative"), max_length=100, blank=True)
    # Sensitive: answered masked; encryption at rest arrives with the document vault.
    legal_rep_id_number = models.CharField(
        _("legal representative ID number"), max_length=64, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    SENSITIVE_FIELDS = ("legal_rep_id_number",)

    class Meta:
        ordering = ["name"]
        verbose_name = _("seller entity")
        verbose_name_plural = _("seller entities")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_entity_name")
        ]

    def __str__(self) -> str:
        return self.name
