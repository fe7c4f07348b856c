"""Each person's notification choices per organization, with the defaults when none are saved,
and the organization's reminder settings with theirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import NotificationPreference, OrgNotificationSettings

K = EventKind
# Mailed by default: what a person must act on. Chat @-mentions: everything they are told.
DEFAULT_EMAIL_KINDS = frozenset(
    {
        K.TASK_ASSIGNED,
        K.TASK_REOPENED,
        K.TASK_DUE_SOON,
        K.TASK_OVERDUE,
        K.APPROVAL_REQUESTED,
        K.APPROVAL_DECIDED,
        K.COMMENT_MENTION,
        K.COMMENT_FOR_CLIENT,
        K.COMMENT_FROM_CLIENT,
        K.PROJECT_STAGE_CHANGED,
        K.PROJECT_STALLED,
        K.PROJECT_REVIEW_LONG,
        K.DOCUMENT_EXPIRING,
        K.RISK_DETECTED,
        K.MAIL_STAGE_PROPOSED,
        K.REQUEST_OPENED,
        K.REQUEST_UPLOADED,
        K.REQUEST_REVIEWED,
        K.REQUEST_DUE_SOON,
        K.REQUEST_OVERDUE,
    }
)
DEFAULT_CHAT_KINDS = frozenset(EventKind.values)


@dataclass(frozen=True)
class Prefs:
    email_kinds: frozenset = DEFAULT_EMAIL_KINDS
    chat_kinds: frozenset = DEFAULT_CHAT_KINDS
    digest: bool = False
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    # None: as the organization decides (OrgSettings.coalesce_mail).
    coalesce_mail: bool | None = None
    saved: bool = False

    def wants_email(self, kind: str) -> bool:
        return kind in self.email_kinds

    def wants_chat(self, kind: str) -> bool:
        return kind in self.chat_kinds

    def as_dict(self) -> dict:
        return {
            "email_kinds": sorted(self.email_kinds),
            "chat_kinds": sorted(self.chat_kinds),
            "digest": self.digest,
            "quiet_start": self.quiet_start.strftime("%H:%M") if self.quiet_start else None,
            "quiet_end": self.quiet_end.strftime("%H:%M") if self.quiet_end else None,
            "coalesce_mail": self.coalesce_mail,
        }


def from_row(row: NotificationPreference | None) -> Prefs:
    if row is None:
        return Prefs()
    return Prefs(
        email_kinds=frozenset(row.email_kinds),
        chat_kinds=frozenset(row.chat_kinds),
        digest=row.digest,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        coalesce_mail=row.coalesce_mail,
        saved=True,
    )


def prefs_for(organization_id: int, user_ids) -> dict[int, Prefs]:
    """Everyone's preferences in one query; the defaults for those who saved none."""
    rows = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(
            organization_id=organization_id, user_id__in=list(user_ids)
        )
    }
    return {uid: from_row(rows.get(uid)) for uid in user_ids}


def quiet_until(prefs: Prefs, now: dt.datetime, time_zone: str) -> dt.datetime | None:
    """When ``now`` falls in the person's quiet hours (in the organization's time zone), the
    moment they end; else None. A window may run past midnight (22:00–07:00)."""
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return None
    tz = ZoneInfo(time_zone or "Asia/Shanghai")
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=tz)


# --- the organization's reminder settings ---------------------------------------------------


@dataclass(frozen=True)
class OrgSettings:
    due_soon_days: tuple[int, ...]
    stalled_days: int
    reminder_time: dt.time = dt.time(9, 0)
    coalesce_mail: bool = True
    saved: bool = False

    def as_dict(self) -> dict:
        return {
            "due_soon_days": list(self.due_soon_days),
            "stalled_days": self.stalled_days,
            "reminder_time": self.reminder_time.strftime("%H:%M"),
            "coalesce_mail": self.coalesce_mail,
        }


def default_reminder_time() -> dt.time:
    try:
        return dt.time.fromisoformat(settings.LINKSTAR_REMINDER_TIME)
    except ValueError:
        return dt.time(9, 0)


def default_org_settings() -> OrgSettings:
    return OrgSettings(
        due_soon_days=tuple(sorted(set(settings.LINKSTAR_REMINDER_LEAD_DAYS), reverse=True)),
        stalled_days=settings.LINKSTAR_STALLED_DAYS,
        reminder_time=default_reminder_time(),
        coalesce_mail=settings.LINKSTAR_MAIL_COALESCE,
    )


def org_settings(organization_id: int) -> OrgSettings:
    row = OrgNotificationSettings.objects.filter(organization_id=organization_id).first()
    return org_settings_of(row)


def org_settings_of(row: OrgNotificationSettings | None) -> OrgSettings:
    if row is None:
        return default_org_settings()
    return OrgSettings(
        due_soon_days=tuple(sorted(set(row.due_soon_days), reverse=True)),
        stalled_days=row.stalled_days,
        reminder_time=row.reminder_time or default_reminder_time(),
        coalesce_mail=(
            settings.LINKSTAR_MAIL_COALESCE if row.coalesce_mail is None else row.coalesce_mail
        ),
        saved=True,
    )


def coalesces(prefs: Prefs, org: OrgSettings) -> bool:
    """Whether this person's instant mails of one kind close together become one."""
    return org.coalesce_mail if prefs.coalesce_mail is None else prefs.coalesce_mail


def reminders_due(org: OrgSettings, now: dt.datetime, time_zone: str) -> bool:
    """Whether the organization's reminder time of day has come (in its time zone)."""
    local = now.astimezone(ZoneInfo(time_zone or "Asia/Shanghai"))
    return local.time().replace(tzinfo=None) >= org.reminder_time
