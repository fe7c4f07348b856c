"""Who may set the retention of closed projects' documents. Registered at start. (Who uploads
and reads documents is decided with the projects, ``projects/permissions.py``.)"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {"document.retention": lambda actor, obj: actor.is_admin},
    {"document.retention": _("Only an administrator may change how long documents are kept.")},
)
