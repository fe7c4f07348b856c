"""The words of the audit events of the readiness gate, association risks and the registration
environment."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels

labels.register(
    actions={
        "project.readiness_overridden": _("Readiness gate overridden"),
        "risk.acknowledged": _("Association risk acknowledged"),
        "project.environment_changed": _("Registration environment changed"),
    },
    groups={"risk.": _("Association risks: all")},
    fields={
        "identifier": pgettext_lazy("audit", "Shared identifiers"),
        "other_project": pgettext_lazy("audit", "Linked project"),
        "registration_email": pgettext_lazy("audit", "Registration email"),
        "registration_phone": pgettext_lazy("audit", "Registration phone"),
        "ip_address": pgettext_lazy("audit", "IP address / proxy"),
        "device_profile": pgettext_lazy("audit", "Device or browser profile"),
    },
)
