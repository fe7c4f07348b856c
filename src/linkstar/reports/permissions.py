"""Who reads the reports: everyone of the agency (each over the projects they may see), never a
client. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy

policy.register(
    {"report.view": lambda a, o: a.is_admin or a.role != Role.CLIENT},
    {"report.view": _("Reports are for the agency's team.")},
)
