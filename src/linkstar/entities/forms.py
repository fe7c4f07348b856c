"""The seller entity form: it parses input; ``entities.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.accounts.forms import StyledForm
from linkstar.entities.models import SellerEntity

FIELDS = (
    "name",
    "name_en",
    "registration_number",
    "country",
    "legal_rep_name",
    "legal_rep_id_number",
    "notes",
)


def _model_field(name: str, **extra) -> forms.Field:
    """The form field for a model field, with the model's label and length."""
    return SellerEntity._meta.get_field(name).formfield(**extra)


class EntityForm(StyledForm):
    name = _model_field("name")
    name_en = _model_field("name_en", help_text=_("As on English documents, e.g. for Amazon."))
    registration_number = _model_field(
        "registration_number", help_text=_("Unified social credit code or company number.")
    )
    country = _model_field(
        "country", help_text=_("Two-letter country code, e.g. CN, HK, US."), initial="CN"
    )
    legal_rep_name = _model_field("legal_rep_name")
    legal_rep_id_number = _model_field("legal_rep_id_number", widget=forms.TextInput)
    notes = _model_field("notes", widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, entity: SellerEntity | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        field = self.fields["legal_rep_id_number"]
        field.widget.attrs["autocomplete"] = "off"
        if entity is not None and entity.legal_rep_id_number:
            # Never put the stored number back into the page: a blank field keeps it.
            from linkstar.core.masking import mask

            field.widget.attrs["placeholder"] = mask(entity.legal_rep_id_number)
            field.help_text = _("Stored masked. Leave empty to keep the current number.")

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def values(self) -> dict:
        """The fields to hand to the service (an empty ID number on an edit keeps the stored one)."""
        data = {name: self.cleaned_data.get(name, "") for name in FIELDS}
        if self.entity is not None and not data["legal_rep_id_number"]:
            data.pop("legal_rep_id_number")
        return data
