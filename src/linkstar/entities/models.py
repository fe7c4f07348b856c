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


class IdentifierKind(models.TextChoices):
    REGISTRATION_NUMBER = "registration_number", _("Company registration number")
    LEGAL_REP_ID = "legal_rep_id", _("Legal representative ID")
    OWNER_ID = "owner_id", _("Beneficial owner ID")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CARD = "card", _("Card")
    COLLECTION_ACCOUNT = "collection_account", _("Collection account")
    ADDRESS = "address", _("Address")


class Identifier(models.Model):
    """One identifier of a seller entity that platforms use to link accounts (关联), kept as a
    blind index (HMAC of the normalised value, ``core.crypto.blind_index``) with a masked label.
    Maintained by the entity services on every write; read by association-risk detection, which
    matches digests without decrypting anything."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=32, choices=IdentifierKind.choices)
    digest = models.CharField(max_length=64)
    masked = models.CharField(max_length=200)
    # Where it comes from, e.g. "entity:12:registration_number" or "card:7", so a rewrite of one
    # source replaces exactly its own rows.
    source = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["organization", "kind", "digest"])]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "source", "kind"], name="uniq_identifier_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.masked}"
