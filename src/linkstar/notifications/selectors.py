"""Reads of notifications: always the reader's own, in organizations they still belong to."""

from __future__ import annotations

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from linkstar.accounts.models import Membership
from linkstar.notifications.kinds import INBOX_GROUPS, EventKind
from linkstar.notifications.models import Notification, NotificationPreference
from linkstar.notifications.preferences import Prefs, from_row

BELL_CAP = 99  # the bell shows "99+" beyond this; counting stops there (one cheap query)


def notification_list(
    *,
    user,
    pending_approvals: QuerySet,
    organization=None,
    unread: bool = False,
    kind: str | None = None,
) -> QuerySet:
    """The user's notifications; of one organization, or of all those they are a member of now
    (one left behind keeps its rows, but they are not shown); ``kind``: one of
    :data:`INBOX_GROUPS` (``mentions``, ``approvals``, ``reminders``, ``risks``, ``mail``).
    What waits for the reader comes first — unread @-mentions, and approvals requested of them
    still pending — then the rest, newest first. Which approval requests are pending is the
    approvals app's to say: the caller passes them (``approvals.selectors.pending_approvals()``,
    matched by id in the same query), so notifications import no app above them."""
    qs = Notification.objects.filter(recipient=user)
    if organization is not None:
        qs = qs.filter(organization=organization)
    else:
        qs = qs.filter(
            organization_id__in=Membership.objects.filter(user=user).values("organization_id")
        )
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind__in=INBOX_GROUPS[kind])

    # An approval request waits for me while it is pending, read or not; a mention while unread.
    pending_approval = Exists(pending_approvals.filter(pk=OuterRef("approval_ref")))
    waiting = Case(
        When(read_at__isnull=True, kind=EventKind.COMMENT_MENTION, then=Value(0)),
        When(Q(kind=EventKind.APPROVAL_REQUESTED) & pending_approval, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("organization")
        .annotate(approval_ref=Cast(KT("params__approval_id"), IntegerField()))
        .annotate(waiting=waiting)
        .order_by("waiting", "-created_at", "-pk")
    )


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
