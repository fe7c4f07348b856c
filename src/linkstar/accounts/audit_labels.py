"""The words of the organization's audit events: members, roles, API tokens."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.accounts.models import Role
from linkstar.audit import labels

labels.register(
    actions={
        "organization.created": _("Organization created"),
        "member.added": _("Member added"),
        "member.role_changed": _("Member role changed"),
        "member.removed": _("Member removed"),
        "token.created": _("API token created"),
        "token.revoked": _("API token revoked"),
        "calendar.changed": _("Working-day calendar changed"),
        "organization.two_factor_required": _("Two-factor sign-in for administrators changed"),
        "user.password_changed": _("Password changed"),
        "user.password_set": _("Password set by an operator"),
        "two_factor.enabled": _("Two-factor sign-in turned on"),
        "two_factor.disabled": _("Two-factor sign-in turned off"),
        "two_factor.recovery_codes_replaced": _("Recovery codes replaced"),
        "two_factor.recovery_code_used": _("Recovery code used to sign in"),
    },
    groups={
        "organization.": _("Organization: all"),
        "member.": _("Members: all"),
        "token.": _("API tokens: all"),
        "calendar.": _("Working-day calendar: all"),
        "user.": _("Passwords: all"),
        "two_factor.": _("Two-factor sign-in: all"),
    },
    object_types={
        "organization": pgettext_lazy("audit", "Organization"),
        "membership": pgettext_lazy("audit", "Membership"),
        "apitoken": pgettext_lazy("audit", "API token"),
        "workcalendarsettings": pgettext_lazy("audit", "Working-day calendar"),
        "user": pgettext_lazy("audit", "User"),
    },
    fields={
        "name": pgettext_lazy("audit", "Name"),
        "name_en": pgettext_lazy("audit", "Name in Latin letters"),
        "slug": pgettext_lazy("audit", "Slug"),
        "email": pgettext_lazy("audit", "Email"),
        "role": pgettext_lazy("audit", "Role"),
        "is_owner": pgettext_lazy("audit", "Owner"),
        "prefix": pgettext_lazy("audit", "Token prefix"),
        "owner": pgettext_lazy("audit", "Token owner"),
        "expires_at": pgettext_lazy("audit", "Expires"),
        "revoked_at": pgettext_lazy("audit", "Revoked"),
        "weekdays": pgettext_lazy("audit", "Working weekdays"),
        "use_cn_holidays": pgettext_lazy("audit", "China's public holidays"),
        "exceptions": pgettext_lazy("audit", "Own holidays and make-up working days"),
        "require_admin_two_factor": pgettext_lazy(
            "audit", "Two-factor sign-in required for administrators"
        ),
        "two_factor": pgettext_lazy("audit", "Two-factor sign-in"),
        "recovery_codes_left": pgettext_lazy("audit", "Unused recovery codes"),
    },
    values={"role": Role.choices},
)

# The erasure of a person's personal data on request (``services.erase_person``).
labels.register(
    actions={"member.erased": _("Personal data of a person erased")},
    object_types={"user": pgettext_lazy("audit", "Person")},
    fields={
        "user.erased": pgettext_lazy("audit", "Personal data erased"),
        "user.was_member": pgettext_lazy("audit", "Was a member"),
        "user.tokens_revoked": pgettext_lazy("audit", "API tokens revoked"),
    },
)
