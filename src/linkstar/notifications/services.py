"""Writes of notifications: reading them, one's own preferences, the organization's reminder
settings. (The daily digest, which mails them, is the outbox's: ``linkstar.delivery.digests``.)"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import (
    Notification,
    NotificationPreference,
    OrgNotificationSettings,
)
from linkstar.notifications.preferences import from_row, org_settings_of

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

MAX_LEAD_DAYS = 60
MAX_STALLED_DAYS = 365


# --- reading ------------------------------------------------------------------------------------


def mark_read(*, user, ids: list[int] | None = None, all: bool = False, organization=None) -> int:
    """Mark the user's own notifications read (some by id, or all, optionally of one
    organization). Someone else's ids are ignored, as if they did not exist. Returns how many
    changed. Not audited: reading one's inbox changes nothing of the organization."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if not all:
        clean = []
        for value in ids or []:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(FieldError("ids", _("Notification ids are whole numbers.")))
            clean.append(value)
        if not clean:
            raise InvalidInput(FieldError("ids", _('Give the ids to mark read, or "all": true.')))
        qs = qs.filter(pk__in=clean)
    return qs.update(read_at=clock.now())


# --- preferences --------------------------------------------------------------------------------


def _kinds(field: str, values) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple | set | frozenset):
        raise InvalidInput(FieldError(field, _("A list of event kinds.")))
    unknown = [v for v in values if v not in EventKind.values]
    if unknown:
        raise InvalidInput(
            FieldError(
                field, _("Unknown event kinds: %(k)s.") % {"k": ", ".join(map(str, unknown))}
            )
        )
    return sorted(set(values))


def _time(field: str, value) -> dt.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    try:
        return dt.time.fromisoformat(str(value)).replace(second=0, microsecond=0)
    except ValueError:
        raise InvalidInput(FieldError(field, _("A time such as 22:00."))) from None


@transaction.atomic
def update_preferences(
    *,
    actor: Actor,
    email_kinds=None,
    chat_kinds=None,
    digest: bool | None = None,
    quiet_start=None,
    quiet_end=None,
    coalesce_mail: bool | None = None,
) -> NotificationPreference:
    """Save the actor's own choices in the organization: the event kinds mailed and @-mentioned
    in chat (in-app is always on), digest instead of instant mail, quiet hours (both ends or
    neither, in the organization's time zone; they hold for chat @-mentions too), several
    instant mails of one kind close together as one (``coalesce_mail``). Arguments left None
    keep their current value (the defaults when nothing was saved)."""
    policy.require(actor, "org.view")
    row = (
        NotificationPreference.objects.select_for_update()
        .filter(user_id=actor.user_id, organization=actor.organization)
        .first()
    )
    current = from_row(row)
    before = current.as_dict()
    email = _kinds("email_kinds", email_kinds) if email_kinds is not None else None
    chat = _kinds("chat_kinds", chat_kinds) if chat_kinds is not None else None
    start = _time("quiet_start", quiet_start) if quiet_start is not None else current.quiet_start
    end = _time("quiet_end", quiet_end) if quiet_end is not None else current.quiet_end
    if quiet_start == "" and quiet_end is None:
        end = None
    if quiet_end == "" and quiet_start is None:
        start = None
    if (start is None) != (end is None):
        field = "quiet_end" if end is None else "quiet_start"
        raise InvalidInput(FieldError(field, _("Give both ends of the quiet hours, or neither.")))
    if start is not None and start == end:
        raise InvalidInput(FieldError("quiet_end", _("Quiet hours must end at another time.")))
    if digest is not None and not isinstance(digest, bool):
        raise InvalidInput(FieldError("digest", _("true or false.")))
    if coalesce_mail is not None and not isinstance(coalesce_mail, bool):
        raise InvalidInput(FieldError("coalesce_mail", _("true or false.")))
    if row is None:
        row = NotificationPreference(user_id=actor.user_id, organization=actor.organization)
    if coalesce_mail is not None:
        row.coalesce_mail = coalesce_mail
    row.email_kinds = email if email is not None else sorted(current.email_kinds)
    row.chat_kinds = chat if chat is not None else sorted(current.chat_kinds)
    row.digest = current.digest if digest is None else digest
    row.quiet_start, row.quiet_end = start, end
    row.updated_at = clock.now()
    row.save()
    after = from_row(row).as_dict()
    changes = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    record(
        actor=actor,
        action="notification.preferences_changed",
        obj=row,
        changes=changes or {"saved": {"before": None, "after": True}},
    )
    return row


@transaction.atomic
def update_org_settings(
    *,
    actor: Actor,
    due_soon_days=None,
    stalled_days=None,
    reminder_time=None,
    coalesce_mail: bool | None = None,
) -> OrgNotificationSettings:
    """An administrator sets the organization's reminder rules: the days before a due date
    that a "due soon" reminder goes out (0: the due day; up to 60), after how many days
    without activity a project counts as stalled (1–365), the time of day reminders go out
    (``HH:MM`` in the organization's time zone), and whether instant mails of one kind close
    together become one mail (the default of its members)."""
    policy.require(actor, "notification.settings")
    row = (
        OrgNotificationSettings.objects.select_for_update()
        .filter(organization=actor.organization)
        .first()
    )
    current = org_settings_of(row)
    errors = []
    leads = list(current.due_soon_days)
    if due_soon_days is not None:
        if not isinstance(due_soon_days, list | tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in due_soon_days
        ):
            errors.append(FieldError("due_soon_days", _("A list of whole numbers of days.")))
        elif any(d < 0 or d > MAX_LEAD_DAYS for d in due_soon_days):
            errors.append(
                FieldError(
                    "due_soon_days",
                    _("Each lead time is between 0 and %(n)s days.") % {"n": MAX_LEAD_DAYS},
                )
            )
        elif len(set(due_soon_days)) > 5:
            errors.append(FieldError("due_soon_days", _("At most five lead times.")))
        else:
            leads = sorted(set(due_soon_days), reverse=True)
    stalled = current.stalled_days
    if stalled_days is not None:
        if isinstance(stalled_days, bool) or not isinstance(stalled_days, int):
            errors.append(FieldError("stalled_days", _("A whole number of days.")))
        elif not 1 <= stalled_days <= MAX_STALLED_DAYS:
            errors.append(
                FieldError("stalled_days", _("Between 1 and %(n)s days.") % {"n": MAX_STALLED_DAYS})
            )
        else:
            stalled = stalled_days
    at = current.reminder_time
    if reminder_time not in (None, ""):
        try:
            at = _time("reminder_time", reminder_time)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if coalesce_mail is not None and not isinstance(coalesce_mail, bool):
        errors.append(FieldError("coalesce_mail", _("true or false.")))
    if errors:
        raise InvalidInput(errors)
    before = current.as_dict()
    if row is None:
        row = OrgNotificationSettings(organization=actor.organization)
    row.due_soon_days, row.stalled_days, row.updated_at = leads, stalled, clock.now()
    row.reminder_time = at
    if coalesce_mail is not None:
        row.coalesce_mail = coalesce_mail
    row.save()
    after = org_settings_of(row).as_dict()
    changes = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    record(
        actor=actor,
        action="notification.settings_changed",
        obj=row,
        changes=changes or {"saved": {"before": None, "after": True}},
    )
    return row
