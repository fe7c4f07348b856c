"""Reads of notifications: always the reader's own, in organizations they still belong to."""

from __future__ import annotations

from django.db.models import QuerySet

from linkstar.accounts.models import Membership
from linkstar.notifications.models import Notification, NotificationPreference
from linkstar.notifications.preferences import Prefs, from_row

BELL_CAP = 99  # the bell shows "99+" beyond this; counting stops there (one cheap query)


def notification_list(*, user, organization=None, unread: bool = False) -> QuerySet:
    """The user's notifications, newest first; of one organization, or of all those they are
    a member of now (one left behind keeps its rows, but they are not shown)."""
    qs = Notification.objects.filter(recipient=user)
    if organization is not None:
        qs = qs.filter(organization=organization)
    else:
        qs = qs.filter(
            organization_id__in=Membership.objects.filter(user=user).values("organization_id")
        )
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("organization").order_by("-created_at", "-pk")


def unread_count(*, user, organization, cap: int | None = None) -> int:
    """Unread notifications of the user in the organization: one query (capped when asked)."""
    qs = Notification.objects.filter(
        recipient=user, organization=organization, read_at__isnull=True
    )
    if cap is not None:
        return qs[: cap + 1].count()
    return qs.count()


def preferences_of(*, actor) -> Prefs:
    row = NotificationPreference.objects.filter(
        user_id=actor.user_id, organization=actor.organization
    ).first()
    return from_row(row)
