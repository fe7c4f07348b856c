"""Who may create and change seller entities. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy


def _admin_or_manager(actor, obj) -> bool:
    return actor.is_admin or actor.role == Role.MANAGER


EDIT_REFUSED = _("Only administrators and project managers may edit seller entities.")

policy.register(
    {
        "entity.create": _admin_or_manager,
        "entity.update": _admin_or_manager,
        # erasing its personal data on request (PIPL / GDPR, ``documents.privacy``)
        "entity.erase": lambda actor, obj: actor.is_admin,
    },
    {
        "entity.create": EDIT_REFUSED,
        "entity.update": EDIT_REFUSED,
        "entity.erase": _("Only an administrator may erase a seller entity's personal data."),
    },
)
