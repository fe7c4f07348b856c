"""Who may change the organization's reminder rules (lead times, stalled days). Registered at
start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {"notification.settings": lambda a, o: a.is_admin},
    {
        "notification.settings": _(
            "Only an administrator may change the organization's notification settings."
        )
    },
)
