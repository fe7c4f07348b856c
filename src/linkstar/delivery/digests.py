"""The daily digest: one mail per person, organization and day for those who chose it instead
of instant mail, listing their notifications since the last one."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linkstar.accounts.models import Membership, Organization
from linkstar.core import clock
from linkstar.delivery import messages, outbox
from linkstar.notifications.models import DigestRun, EmailState, Notification
from linkstar.notifications.preferences import prefs_for, quiet_until


def send_digests(*, force: bool = False) -> int:
    """Send each person who chose the digest one mail per organization and day listing their
    notifications since the last one; from ``LINKSTAR_DIGEST_HOUR`` in the organization's time
    zone (``force``: now). Idempotent: one ``DigestRun`` per person, organization and day,
    and the notifications it lists are marked in the same transaction. Returns mails queued."""
    pending = (
        Notification.objects.filter(email_state=EmailState.DIGEST)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    sent = 0
    for organization in Organization.objects.filter(pk__in=list(pending)):
        local = clock.now().astimezone(_zone(organization))
        if not force and local.hour < settings.LINKSTAR_DIGEST_HOUR:
            continue
        sent += _digest_organization(organization, local.date())
    return sent


def _zone(organization):
    return ZoneInfo(organization.time_zone or "Asia/Shanghai")


def _digest_organization(organization: Organization, day: dt.date) -> int:
    rows = (
        Notification.objects.filter(organization=organization, email_state=EmailState.DIGEST)
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for n in rows:
        by_user[n.recipient_id].append(n)
    members = set(
        Membership.objects.filter(organization=organization, user_id__in=list(by_user)).values_list(
            "user_id", flat=True
        )
    )
    prefs = prefs_for(organization.pk, list(by_user))
    now = clock.now()
    sent = 0
    for user_id, items in by_user.items():
        try:
            with transaction.atomic():
                DigestRun.objects.create(
                    organization=organization, user_id=user_id, day=day, count=len(items)
                )
                claimed = Notification.objects.filter(
                    pk__in=[n.pk for n in items], email_state=EmailState.DIGEST
                ).update(email_state=EmailState.DIGESTED)
                if not claimed or user_id not in members:
                    continue
                user = items[0].recipient
                with translation.override(user.language or messages.ORG_LANGUAGE):
                    subject, body = _digest_text(organization, day, items)
                outbox.queue_email(
                    user=user,
                    subject=subject,
                    body=body,
                    organization=organization,
                    # a digest hour inside someone's quiet hours waits for them to end
                    not_before=quiet_until(prefs[user_id], now, organization.time_zone),
                )
                sent += 1
        except IntegrityError:  # today's digest of this person went out (another worker)
            continue
    return sent


def _digest_text(organization, day: dt.date, items: list[Notification]) -> tuple[str, str]:
    subject = ngettext(
        "LinkStar daily digest %(day)s: %(n)d notification",
        "LinkStar daily digest %(day)s: %(n)d notifications",
        len(items),
    ) % {"day": day.isoformat(), "n": len(items)}
    parts = [
        _("Your notifications in %(org)s:") % {"org": organization.name},
        "",
    ]
    for n in items:
        text = messages.render(n.kind, n.params, n.link)
        parts.append(f"• {text.title}")
        parts.extend(f"  {line}" for line in text.lines)
        if text.link:
            parts.append(f"  {text.url}")
        parts.append("")
    parts.append(
        _("All notifications: %(url)s")
        % {"url": messages.absolute(f"/o/{organization.slug}/notifications/")}
    )
    return subject, "\n".join(parts)
