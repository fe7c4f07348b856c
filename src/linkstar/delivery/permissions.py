"""Who may manage chat robots and webhooks and read the delivery log (issue 5 §3-4); a chat ID's
object is the member whose IDs they are. Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy

policy.register(
    {
        "channel.manage": lambda a, o: a.is_admin,
        "delivery.view": lambda a, o: a.is_admin,
        "delivery.retry": lambda a, o: a.is_admin,
        "chathandle.edit": lambda a, o: a.is_admin or (o is not None and o.pk == a.user_id),
    },
    {
        "channel.manage": _("Only an administrator may manage notification channels."),
        "delivery.view": _("Only an administrator may read the delivery log."),
        "delivery.retry": _("Only an administrator may retry a delivery."),
        "chathandle.edit": _("Only an administrator may change another member's chat IDs."),
    },
)
