"""Who may read the audit log. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy

policy.register(
    {"audit.view": lambda a, o: a.is_admin or a.role == Role.AUDITOR},
    {"audit.view": _("Only administrators and auditors may read the audit log.")},
)
