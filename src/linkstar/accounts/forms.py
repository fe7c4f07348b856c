"""Forms of the organization settings pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role, TokenScope
from linkstar.core.forms import StyledForm


class AddMemberForm(StyledForm):
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Only for a new user: at least 8 characters."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.OPERATOR)
    entity = forms.TypedChoiceField(
        label=_("Seller entity"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For the client role: the entity whose projects the client sees."),
    )

    def __init__(self, *args, entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", "—"), *entities]


class ChangeRoleForm(StyledForm):
    small = True

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    entity = forms.TypedChoiceField(
        label=_("Seller entity"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", "—"), *entities]


class TokenForm(StyledForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. ERP sync")}),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. The token works through this day (organization time)."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=TokenScope.choices,
        initial=TokenScope.READ_WRITE,
        required=False,
        help_text=_("A read-only token may only read; any change it sends is refused (403)."),
    )


class OrgTokenForm(TokenForm):
    """An organization token: bound to this organization and a role, not to a person."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(value, label) for value, label in Role.choices if value != Role.CLIENT],
        initial=Role.OPERATOR,
    )
