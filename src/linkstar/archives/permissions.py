"""Who may request project archives (.zip with audit events and documents). Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy
from linkstar.projects.permissions import manages


def _may_archive(actor, project) -> bool:
    """The object is a project, or None for "may request archives at all"."""
    if actor.is_admin or actor.role == Role.AUDITOR:
        return True
    return actor.role == Role.MANAGER and (project is None or manages(actor, project))


policy.register(
    {"archive.create": _may_archive},
    {
        "archive.create": _(
            "Only administrators, auditors and the project's manager may archive a project."
        )
    },
)
