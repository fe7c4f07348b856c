"""Who may see the background jobs; retrying one touches the whole site's queue, so it also takes
a site operator (``is_staff``). Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {
        "worker.view": lambda a, o: a.is_admin,
        "worker.manage": lambda a, o: a.is_admin and a.user is not None and a.user.is_staff,
    },
    {
        "worker.view": _("Only an administrator may see the background jobs."),
        "worker.manage": _(
            "Only a site operator who administers this organization may retry jobs."
        ),
    },
)
