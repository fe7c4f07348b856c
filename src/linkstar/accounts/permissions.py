"""Who may manage the organization's members, API tokens and working-day calendar, and who
reads the audit log (administrators and the auditor role, DESIGN.md §1: the audit trail knows no
domain, so the roles' rule about it is here). Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy

policy.register(
    {
        "org.view": lambda a, o: True,
        "member.manage": lambda a, o: a.is_admin,
        "audit.view": lambda a, o: a.is_admin or a.role == Role.AUDITOR,
        "token.org_manage": lambda a, o: a.is_admin,
        # the organization's working-day calendar (weekdays, holidays, make-up working days)
        "calendar.edit": lambda a, o: a.is_admin,
        # the organization's sign-in rules (two-factor sign-in required of administrators)
        "organization.security": lambda a, o: a.is_admin,
    },
    {
        "member.manage": _("Only an administrator may manage members."),
        "audit.view": _("Only administrators and auditors may read the audit log."),
        "token.org_manage": _("Only an administrator may manage the organization's API tokens."),
        "calendar.edit": _("Only an administrator may change the working-day calendar."),
        "organization.security": _("Only an administrator may change the sign-in rules."),
    },
)
