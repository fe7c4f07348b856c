"""Vault forms: they parse input; ``documents.services`` decides (and checks the file)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.core.forms import StyledForm
from linkstar.documents.checks import KINDS
from linkstar.documents.models import DocumentStatus

ACCEPT = ",".join(
    [f".{ext}" for kind in KINDS.values() for ext in kind.extensions]
    + [kind.content_type for kind in KINDS.values()]
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UploadForm(StyledForm):
    entity = forms.TypedChoiceField(label=_("Seller entity"), coerce=int)
    document_type = forms.ChoiceField(label=_("Document type"))
    person_name = forms.CharField(
        label=_("Person"),
        max_length=100,
        required=False,
        help_text=_("For a person's document (e.g. the legal representative's ID); else empty."),
    )
    issue_date = forms.DateField(label=_("Issue date"), required=False, widget=DateInput())
    expiry_date = forms.DateField(
        label=_("Expiry date"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for a document that does not expire."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Empty files pass the form: the service refuses them with the vault's own message.
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    confirm_expiry = forms.BooleanField(
        label=_("File it even if it is expired or expires before the current version"),
        required=False,
    )

    def __init__(self, *args, entities, document_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", "—"), *entities]
        self.fields["document_type"].choices = [("", "—"), *document_types]


class AttachForm(forms.Form):
    document = forms.IntegerField()


class VaultFilterForm(StyledForm):
    small = True
    entity = forms.TypedChoiceField(
        label=_("Seller entity"), coerce=int, required=False, empty_value=None
    )
    document_type = forms.ChoiceField(label=_("Document type"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *DocumentStatus.choices]
    )

    def __init__(self, *args, entities, document_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", _("All")), *entities]
        self.fields["document_type"].choices = [("", _("All")), *document_types]
