"""Forms of the organization settings pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy
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
        self.fields["password"].help_text = gettext(
            "Only for a new user: at least %(n)d characters, not a common password, not close "
            "to the email or name, not only digits."
        ) % {"n": settings.LINKSTAR_PASSWORD_MIN_LENGTH}


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


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


class PasswordChangeForm(StyledForm):
    """One's own password: the current one, and the new one twice (the service checks the
    current one and runs the validators)."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False, widget=_password_input("current-password")
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=_password_input("new-password"),
    )
    new_password_again = forms.CharField(
        label=_("New password again"), strip=False, widget=_password_input("new-password")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = gettext(
            "At least %(n)d characters, not a common password, not close to your email or "
            "name, not only digits."
        ) % {"n": settings.LINKSTAR_PASSWORD_MIN_LENGTH}

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class OtpCodeForm(StyledForm):
    code = forms.CharField(
        label=pgettext_lazy("two-factor sign-in", "Code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ReauthenticateForm(StyledForm):
    """Turning two-factor sign-in off or replacing the recovery codes: a code or the password."""

    code = forms.CharField(
        label=_("Code of the authenticator"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    password = forms.CharField(
        label=_("or your password"),
        required=False,
        strip=False,
        widget=_password_input("current-password"),
    )
