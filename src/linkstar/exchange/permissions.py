"""Who may import projects, seller entities and members. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy

policy.register(
    {
        "import.projects": lambda a, o: a.is_admin or a.role == Role.MANAGER,
        "import.entities": lambda a, o: a.is_admin or a.role == Role.MANAGER,
        "import.members": lambda a, o: a.is_admin,
    },
    {
        "import.projects": _("Only administrators and managers may import projects."),
        "import.entities": _("Only administrators and managers may import seller entities."),
        "import.members": _("Only an administrator may import members."),
    },
)
