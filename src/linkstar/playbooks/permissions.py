"""Who may change the organization's SOP templates. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {"template.manage": lambda a, o: a.is_admin},
    {"template.manage": _("Only an administrator may change templates.")},
)
