"""Who may change the organization's SOP templates. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {
        "template.manage": lambda a, o: a.is_admin,
        # the organization's own templates and the menu that leads to them: not for a client
        # (it is answered the built-in ones only, issue 15 §1)
        "template.browse": lambda a, o: not a.is_client,
    },
    {
        "template.manage": _("Only an administrator may change templates."),
        "template.browse": _("Clients do not see the organization's templates."),
    },
)
