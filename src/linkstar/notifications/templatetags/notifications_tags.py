from __future__ import annotations

from django import template

from linkstar.notifications.selectors import BELL_CAP, unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The signed-in user's unread notifications in the current organization (one query)."""
    user, org = context.get("user"), context.get("current_org")
    if org is None or user is None or not user.is_authenticated:
        return 0
    return unread_count(user=user, organization=org, cap=BELL_CAP)
