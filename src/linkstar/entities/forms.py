"""The forms of the entity pages: they parse input; ``entities.services`` decides.

A sensitive field is never put back into a page: on an edit it is empty, with the masked value as
placeholder, and an empty field keeps what is stored. A card number is never re-displayed, not
even after a refused submission.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.core.forms import StyledForm
from linkstar.entities.models import (
    CardBrand,
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    SellerEntity,
    StoreCredential,
)
from linkstar.entities.sensitive import masked


class NoEchoInput(forms.TextInput):
    """A text input that never renders a value back (card numbers, secrets)."""

    def format_value(self, value):
        return None


def _model_field(model, name: str, **extra) -> forms.Field:
    """The form field for a model field, with the model's label and length."""
    field = model._meta.get_field(name).formfield(**extra)
    if isinstance(field.widget, forms.Textarea) and "widget" not in extra:
        field.widget = forms.TextInput(attrs={"maxlength": field.max_length or ""})
    return field


class VaultForm(StyledForm):
    """Sensitive fields of ``model`` become "leave empty to keep" fields on an edit."""

    model = None
    fields_order: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        for name in getattr(self.model, "SENSITIVE_FIELDS", ()):
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.widget.attrs["autocomplete"] = "off"
            if instance is not None and getattr(instance, name):
                field.required = False
                field.widget.attrs["placeholder"] = masked(instance, name)
                field.help_text = _("Stored masked. Leave empty to keep the current value.")

    def values(self) -> dict:
        """The fields to hand to the service; an empty sensitive field on an edit keeps the
        stored value."""
        data = {name: self.cleaned_data.get(name) for name in self.fields_order}
        for name in getattr(self.model, "SENSITIVE_FIELDS", ()):
            if name in data and self.instance is not None and not data[name]:
                data.pop(name)
        for name, value in list(data.items()):
            if value is None and not self.fields[name].required:
                data[name] = "" if isinstance(self.fields[name], forms.CharField) else None
        return data


def _date(model, name: str) -> forms.Field:
    return _model_field(model, name, widget=forms.DateInput(attrs={"type": "date"}))


class EntityForm(VaultForm):
    model = SellerEntity
    fields_order = (
        "name",
        "name_en",
        "registration_number",
        "country",
        "registered_address",
        "licence_expiry",
        "legal_rep_name",
        "legal_rep_id_number",
        "notes",
    )
    name = _model_field(SellerEntity, "name")
    name_en = _model_field(
        SellerEntity, "name_en", help_text=_("As on English documents, e.g. for Amazon.")
    )
    registration_number = _model_field(
        SellerEntity,
        "registration_number",
        help_text=_("Unified social credit code or company number."),
    )
    country = _model_field(
        SellerEntity,
        "country",
        help_text=_("Two-letter country code, e.g. CN, HK, US."),
        initial="CN",
    )
    registered_address = _model_field(SellerEntity, "registered_address")
    licence_expiry = _date(SellerEntity, "licence_expiry")
    legal_rep_name = _model_field(SellerEntity, "legal_rep_name")
    legal_rep_id_number = _model_field(SellerEntity, "legal_rep_id_number")
    notes = _model_field(SellerEntity, "notes", widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, entity: SellerEntity | None = None, **kwargs):
        super().__init__(*args, instance=entity, **kwargs)
        self.entity = entity

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()


class PersonForm(VaultForm):
    model = EntityPerson
    fields_order = (
        "role",
        "name",
        "name_pinyin",
        "id_type",
        "id_number",
        "nationality",
        "id_expiry",
        "ownership_percent",
    )
    role = _model_field(EntityPerson, "role")
    name = _model_field(EntityPerson, "name")
    name_pinyin = _model_field(EntityPerson, "name_pinyin")
    id_type = _model_field(EntityPerson, "id_type")
    id_number = _model_field(EntityPerson, "id_number")
    nationality = _model_field(EntityPerson, "nationality", initial="CN")
    id_expiry = _date(EntityPerson, "id_expiry")
    ownership_percent = _model_field(EntityPerson, "ownership_percent")


class ContactForm(VaultForm):
    model = EntityContact
    fields_order = ("kind", "value", "label")
    kind = _model_field(EntityContact, "kind")
    value = _model_field(EntityContact, "value")
    label = _model_field(
        EntityContact, "label", help_text=_("e.g. registration email, legal rep's mobile")
    )


class AccountForm(VaultForm):
    model = CollectionAccount
    fields_order = ("provider", "account_holder", "account_number", "currency", "label")
    provider = _model_field(CollectionAccount, "provider")
    account_holder = _model_field(CollectionAccount, "account_holder")
    account_number = _model_field(CollectionAccount, "account_number")
    currency = _model_field(CollectionAccount, "currency")
    label = _model_field(CollectionAccount, "label")


class CardForm(VaultForm):
    model = EntityCard
    fields_order = ("card_number", "brand", "holder", "expiry_month", "expiry_year")
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Only its last four digits and a fingerprint are kept, never the number."),
    )
    brand = forms.ChoiceField(
        label=_("brand"),
        required=False,
        choices=[("", _("From the number")), *CardBrand.choices],
    )
    holder = _model_field(EntityCard, "holder")
    expiry_month = forms.IntegerField(label=_("expiry month"), min_value=1, max_value=12)
    expiry_year = forms.IntegerField(label=_("expiry year"), min_value=2000, max_value=2100)

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None:
            number = self.fields["card_number"]
            number.required = False
            number.widget.attrs["placeholder"] = instance.masked_number
            number.help_text = _("Leave empty to keep the card; a new number replaces it.")

    def values(self) -> dict:
        data = super().values()
        if not data.get("card_number"):
            data.pop("card_number", None)
        return data


class AddressForm(VaultForm):
    model = EntityAddress
    fields_order = ("kind", "text")
    kind = _model_field(EntityAddress, "kind")
    text = _model_field(EntityAddress, "text", widget=forms.Textarea(attrs={"rows": 2}))


RECORD_FORMS = {
    "person": PersonForm,
    "contact": ContactForm,
    "account": AccountForm,
    "card": CardForm,
    "address": AddressForm,
}


class CredentialForm(VaultForm):
    model = StoreCredential
    fields_order = ("kind", "label", "login", "secret")
    kind = _model_field(StoreCredential, "kind")
    label = _model_field(StoreCredential, "label", help_text=_("e.g. Seller Central, 店小秘 ERP"))
    login = _model_field(StoreCredential, "login")
    secret = forms.CharField(
        label=_("Password, key or token"),
        max_length=2000,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class RotateForm(StyledForm):
    secret = forms.CharField(
        label=_("New password, key or token"),
        max_length=2000,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
