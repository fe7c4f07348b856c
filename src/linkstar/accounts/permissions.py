"""Who may manage the organization's members and API tokens. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {
        "org.view": lambda a, o: True,
        "member.manage": lambda a, o: a.is_admin,
        "token.org_manage": lambda a, o: a.is_admin,
        # the organization's working-day calendar (weekdays, holidays, make-up working days)
        "calendar.edit": lambda a, o: a.is_admin,
    },
    {
        "member.manage": _("Only an administrator may manage members."),
        "token.org_manage": _("Only an administrator may manage the organization's API tokens."),
        "calendar.edit": _("Only an administrator may change the working-day calendar."),
    },
)
