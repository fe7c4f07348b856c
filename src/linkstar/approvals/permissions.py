"""Who may decide an approval request (the object). The four-eyes rule is ``rules.py``'s.
Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy


def _may_decide(actor, request) -> bool:
    return (
        actor.is_admin
        or actor.role == Role.REVIEWER
        or (actor.user_id is not None and request.project.manager_id == actor.user_id)
    )


policy.register(
    {"approval.decide": _may_decide},
    {
        "approval.decide": _(
            "Only reviewers, administrators or the project's manager decide approvals."
        )
    },
)
