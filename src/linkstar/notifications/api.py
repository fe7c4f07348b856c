from __future__ import annotations

from typing import Literal

from django.utils import translation
from ninja import Query, Router, Schema
from pydantic import Field

from linkstar.accounts.web import actor_for
from linkstar.approvals.selectors import pending_approvals
from linkstar.core import policy
from linkstar.core.api import ERRORS, Paging
from linkstar.delivery import messages
from linkstar.notifications import selectors, services
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.preferences import from_row, org_settings
from linkstar.notifications.schemas import (
    MarkReadIn,
    MarkReadOut,
    NotificationList,
    OrgSettingsIn,
    OrgSettingsOut,
    PreferencesIO,
    PreferencesOut,
)

router = Router(tags=["notifications"])


class InboxFilters(Schema):
    org: str | None = Field(None, description="one organization's (slug); default: all of mine")
    unread: bool = Field(False, description="only unread ones")
    kind: Literal["mentions", "approvals", "reminders", "risks", "mail"] | None = Field(
        None,
        description="only @-mentions, approvals (requested of me, and decisions of mine), "
        "reminders (due soon, overdue, stalled, review too long, documents expiring), "
        "association risks, or platform mail",
    )


def notification_out(n) -> dict:
    text = messages.render(n.kind, n.params, n.link)
    return {
        "id": n.pk,
        "org": n.organization.slug,
        "kind": n.kind,
        "kind_label": str(EventKind(n.kind).label) if n.kind in EventKind.values else n.kind,
        "title": text.title,
        "body": "\n".join(text.lines),
        "lines": text.lines,
        "link": n.link,
        "url": text.url,
        "project_id": n.project_id,
        "task_id": n.task_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/me/notifications", response={200: NotificationList, **ERRORS})
def my_notifications(request, paging: Query[Paging], filters: Query[InboxFilters]):
    """The caller's notifications, texts in the caller's language: what waits for the caller
    first (unread @-mentions, approvals requested of them still pending), then newest first;
    ``kind`` filters; ``unread`` counts the unread ones of the same organization scope (every
    kind)."""
    organization = actor_for(request, filters.org).organization if filters.org else None
    qs = selectors.notification_list(
        user=request.auth,
        pending_approvals=pending_approvals(),
        organization=organization,
        unread=filters.unread,
        kind=filters.kind,
    )
    items = list(qs[paging.offset : paging.offset + paging.limit])
    unread = selectors.notification_list(
        user=request.auth,
        pending_approvals=pending_approvals(),
        organization=organization,
        unread=True,
    )
    # The caller's language: the one asked for (Accept-Language), else the one saved.
    language = None if "HTTP_ACCEPT_LANGUAGE" in request.META else request.auth.language
    with translation.override(language or translation.get_language()):
        rows = [notification_out(n) for n in items]
    return {
        "items": rows,
        "count": qs.count(),
        "unread": unread.count(),
    }


@router.post("/me/notifications/read", response={200: MarkReadOut, **ERRORS})
def mark_read(request, payload: MarkReadIn):
    """Mark some (``ids``) or ``all`` of the caller's notifications read (``org`` limits
    ``all`` to one organization). Ids of other people's notifications are ignored."""
    organization = actor_for(request, payload.org).organization if payload.org else None
    marked = services.mark_read(
        user=request.auth, ids=payload.ids, all=payload.all, organization=organization
    )
    unread = selectors.notification_list(
        user=request.auth,
        pending_approvals=pending_approvals(),
        organization=organization,
        unread=True,
    )
    return {"marked": marked, "unread": unread.count()}


def preferences_out(prefs) -> dict:
    return {
        **prefs.as_dict(),
        "in_app": True,
        "kinds": [
            {
                "kind": kind,
                "label": str(label),
                "email": prefs.wants_email(kind),
                "chat": prefs.wants_chat(kind),
            }
            for kind, label in EventKind.choices
        ],
    }


@router.get("/orgs/{org}/notification-preferences", response={200: PreferencesOut, **ERRORS})
def get_preferences(request, org: str):
    """The caller's own choices in the organization (the defaults when none are saved)."""
    actor = actor_for(request, org)
    return preferences_out(selectors.preferences_of(actor=actor))


@router.put("/orgs/{org}/notification-preferences", response={200: PreferencesOut, **ERRORS})
def put_preferences(request, org: str, payload: PreferencesIO):
    """Save the caller's choices; fields left out keep their value. Audited."""
    actor = actor_for(request, org)
    row = services.update_preferences(actor=actor, **payload.model_dump())
    return preferences_out(from_row(row))


@router.get("/orgs/{org}/notification-settings", response={200: OrgSettingsOut, **ERRORS})
def get_org_settings(request, org: str):
    """The organization's reminder rules (admin)."""
    actor = actor_for(request, org)
    policy.require(actor, "notification.settings")
    return org_settings(actor.organization.pk).as_dict()


@router.put("/orgs/{org}/notification-settings", response={200: OrgSettingsOut, **ERRORS})
def put_org_settings(request, org: str, payload: OrgSettingsIn):
    """Change the organization's reminder rules (admin; audited)."""
    actor = actor_for(request, org)
    row = services.update_org_settings(actor=actor, **payload.model_dump())
    return org_settings(row.organization_id).as_dict()
