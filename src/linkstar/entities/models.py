"""Seller entities (主体): the companies in whose name stores are opened, their people, contacts,
collection accounts, cards and addresses, and the credentials of the stores opened for them.

Sensitive values (identity, registration and account numbers, store secrets) are
``EncryptedTextField``s: the database holds only ciphertext, and every model lists them in
``SENSITIVE_FIELDS`` so that answers, pages and audit events mask them and ``reveal_secret``
knows what may be revealed. Full card numbers are never stored at all: a card keeps its last four
digits and a keyed fingerprint (``core.crypto.blind_index``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.core.crypto import EncryptedTextField
from linkstar.core.models import OrgOwned, Versioned


class SellerEntity(OrgOwned, Versioned):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in Latin letters"), max_length=200, blank=True)
    # The unified social credit code (统一社会信用代码) or a foreign company number.
    registration_number = EncryptedTextField(_("registration number"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=8, blank=True, default="CN")
    registered_address = models.CharField(_("registered address"), max_length=500, blank=True)
    licence_expiry = models.DateField(_("licence expiry"), null=True, blank=True)
    legal_rep_name = models.CharField(_("legal representative"), max_length=100, blank=True)
    legal_rep_id_number = EncryptedTextField(
        _("legal representative ID number"), max_length=64, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set when its personal data was erased on request (PIPL / GDPR, ``documents.privacy``): the
    # row stays, under a neutral name, so that its projects and their history still read; it
    # takes no new project and no new personal data.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    SENSITIVE_FIELDS = ("registration_number", "legal_rep_id_number")

    class Meta:
        ordering = ["name"]
        verbose_name = _("seller entity")
        verbose_name_plural = _("seller entities")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_entity_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class EntityRecord(OrgOwned, Versioned):
    """What every record of a seller entity shares (people, contacts, accounts, cards …): it is
    owned by the entity's organization (copied, so scoping needs no join) and versioned."""

    SENSITIVE_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True


class PersonRole(models.TextChoices):
    LEGAL_REP = "legal_rep", _("Legal representative")
    BENEFICIAL_OWNER = "beneficial_owner", _("Beneficial owner")


class IdType(models.TextChoices):
    ID_CARD = "id_card", _("ID card")
    PASSPORT = "passport", _("Passport")


class EntityPerson(EntityRecord):
    """The legal representative (法人) or a beneficial owner (受益人) of an entity."""

    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(_("role"), max_length=20, choices=PersonRole.choices)
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=100, blank=True)
    id_type = models.CharField(
        _("ID type"), max_length=16, choices=IdType.choices, default=IdType.ID_CARD
    )
    id_number = EncryptedTextField(_("ID number"), max_length=32, blank=True)
    nationality = models.CharField(_("nationality"), max_length=8, blank=True, default="CN")
    id_expiry = models.DateField(_("ID expiry"), null=True, blank=True)
    ownership_percent = models.DecimalField(
        _("ownership (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    SENSITIVE_FIELDS = ("id_number",)

    class Meta:
        ordering = ["role", "name", "pk"]
        verbose_name = pgettext_lazy("seller entity", "person")
        verbose_name_plural = pgettext_lazy("seller entity", "people")

    def __str__(self) -> str:
        return self.name


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class EntityContact(EntityRecord):
    """An email address or phone number used for the entity's store registrations."""

    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=8, choices=ContactKind.choices)
    value = models.CharField(_("email or phone"), max_length=254)
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        ordering = ["kind", "value", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class AccountProvider(models.TextChoices):
    PAYONEER = "payoneer", "Payoneer"
    PINGPONG = "pingpong", "PingPong"
    LIANLIAN = "lianlian", _("LianLian Pay")
    WORLDFIRST = "worldfirst", "WorldFirst"
    BANK = "bank", _("Bank")
    OTHER = "other", _("Other")


class CollectionAccount(EntityRecord):
    """A collection or payment account (收款账户) that receives a store's payouts."""

    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="accounts")
    provider = models.CharField(_("provider"), max_length=16, choices=AccountProvider.choices)
    account_holder = models.CharField(_("account holder"), max_length=200)
    account_number = EncryptedTextField(_("account number"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)

    SENSITIVE_FIELDS = ("account_number",)

    class Meta:
        ordering = ["provider", "pk"]
        verbose_name = _("collection account")
        verbose_name_plural = _("collection accounts")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.account_holder}"


class CardBrand(models.TextChoices):
    VISA = "visa", "Visa"
    MASTERCARD = "mastercard", "Mastercard"
    AMEX = "amex", "American Express"
    UNIONPAY = "unionpay", _("UnionPay")
    JCB = "jcb", "JCB"
    DISCOVER = "discover", "Discover"
    OTHER = "other", _("Other")


class EntityCard(EntityRecord):
    """A (dual-currency) credit card. The full number is never stored: only its last four digits
    and ``fingerprint``, a keyed blind index of the full number that matches the same card on
    another entity without anyone being able to read it back."""

    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="cards")
    brand = models.CharField(_("brand"), max_length=16, choices=CardBrand.choices)
    holder = models.CharField(_("card holder"), max_length=100)
    last4 = models.CharField(_("last four digits"), max_length=4)
    expiry_month = models.PositiveSmallIntegerField(_("expiry month"))
    expiry_year = models.PositiveSmallIntegerField(_("expiry year"))
    fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["brand", "last4", "pk"]
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        indexes = [models.Index(fields=["organization", "fingerprint"])]

    def __str__(self) -> str:
        return f"{self.get_brand_display()} ···· {self.last4}"

    @property
    def masked_number(self) -> str:
        return f"**** **** **** {self.last4}"

    def expired_on(self, day: dt.date) -> bool:
        return (self.expiry_year, self.expiry_month) < (day.year, day.month)


class AddressKind(models.TextChoices):
    REGISTERED = "registered", _("Registered office")
    BUSINESS = "business", _("Business premises")
    WAREHOUSE = "warehouse", _("Warehouse")
    RETURN = "return", _("Returns")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class EntityAddress(EntityRecord):
    entity = models.ForeignKey(SellerEntity, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=16, choices=AddressKind.choices)
    text = models.CharField(_("address"), max_length=500)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return self.get_kind_display()


class CredentialKind(models.TextChoices):
    PLATFORM_LOGIN = "platform_login", _("Platform login")
    API_KEY = "api_key", _("API key")
    ERP_TOKEN = "erp_token", _("ERP authorization token")


class StoreCredential(OrgOwned, Versioned):
    """A secret of one store: its platform login, or a key or token handed to an ERP. Listed per
    store so that an agency can rotate them when staff leave; revoking erases the secret."""

    project = models.ForeignKey(
        "projects.StoreProject", on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CredentialKind.choices)
    label = models.CharField(_("label"), max_length=100)
    login = models.CharField(_("login email or user name"), max_length=254, blank=True)
    secret = EncryptedTextField(_("secret"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rotated_at = models.DateTimeField(_("rotated"), null=True, blank=True)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    SENSITIVE_FIELDS = ("secret",)

    class Meta:
        ordering = ["project_id", "kind", "label", "pk"]
        verbose_name = _("store credential")
        verbose_name_plural = _("store credentials")
        indexes = [models.Index(fields=["organization", "project"])]

    def __str__(self) -> str:
        return self.label

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def secret_changed_at(self):
        return self.rotated_at or self.created_at


class IdentifierKind(models.TextChoices):
    REGISTRATION_NUMBER = "registration_number", _("Company registration number")
    LEGAL_REP_ID = "legal_rep_id", _("Legal representative ID")
    OWNER_ID = "owner_id", _("Beneficial owner ID")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CARD = "card", _("Card")
    COLLECTION_ACCOUNT = "collection_account", _("Collection account")
    ADDRESS = "address", _("Address")
    # A store's registration environment (compliance.StoreIdentifier), besides its email and phone.
    IP_ADDRESS = "ip_address", _("IP address / proxy")
    DEVICE = "device_profile", _("Device or browser profile")


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
