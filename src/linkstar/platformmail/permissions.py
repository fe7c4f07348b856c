"""Who may import, assign and act on platform mail; the object is the project (none for import
and settings). Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy
from linkstar.projects.permissions import manages

policy.register(
    {
        "mail.import": lambda a, o: a.is_admin or a.role == Role.MANAGER,
        "mail.assign": manages,
        "mail.address": manages,
        "mail.proposal.decide": manages,
        "mail.settings": lambda a, o: a.is_admin,
        "mail.settings.view": lambda a, o: a.is_admin or a.role == Role.AUDITOR,
    },
    {
        "mail.import": _("Only administrators and managers may import platform mail."),
        "mail.assign": _(
            "Only the project's manager or an administrator may assign platform mail to it."
        ),
        "mail.address": _(
            "Only the project's manager or an administrator may set its registration mailbox."
        ),
        "mail.proposal.decide": _(
            "Only the project's manager or an administrator may accept or dismiss a stage proposal."
        ),
        "mail.settings": _("Only an administrator may change the mail settings."),
        "mail.settings.view": _("Only administrators and auditors may see the mail settings."),
    },
)
