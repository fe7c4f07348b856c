"""Pages of notifications: the inbox, one's preferences, the organization's reminder settings.
Thin: the services write, the selectors read."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.web import web_actor
from linkstar.approvals.selectors import pending_approvals
from linkstar.core import policy
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.core.web import error_text, render_in_org_time
from linkstar.delivery import messages
from linkstar.notifications import selectors, services
from linkstar.notifications.kinds import INBOX_GROUP_LABELS, INBOX_GROUPS, EventKind
from linkstar.notifications.models import Notification
from linkstar.notifications.preferences import coalesces
from linkstar.notifications.preferences import org_settings as load_org_settings

PAGE_SIZE = 30


def _rows(items) -> list:
    for n in items:
        n.text = messages.render(n.kind, n.params, n.link)
    return items


def inbox(request, org: str):
    """The member's notifications in this organization, newest first; ``?unread=1`` filters."""
    actor = web_actor(request, org)
    unread_only = request.GET.get("unread") in {"1", "true", "on"}
    kind = request.GET.get("kind") or ""
    if kind not in INBOX_GROUPS:
        kind = ""
    qs = selectors.notification_list(
        user=actor.user,
        pending_approvals=pending_approvals(),
        organization=actor.organization,
        unread=unread_only,
        kind=kind or None,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_in_org_time(
        request,
        actor,
        "notifications/inbox.html",
        {
            "page": page,
            "rows": _rows(list(page.object_list)),
            "unread_only": unread_only,
            "kind": kind,
            "kinds": [(key, INBOX_GROUP_LABELS[key]) for key in INBOX_GROUPS],
            "query": urlencode(
                {**({"unread": "1"} if unread_only else {}), **({"kind": kind} if kind else {})}
            ),
            "unread_query": urlencode({"kind": kind} if kind else {}),
        },
    )


def _own(actor, notification_id: int) -> Notification:
    n = (
        Notification.objects.filter(
            pk=notification_id, recipient_id=actor.user_id, organization=actor.organization
        )
        .select_related("organization")
        .first()
    )
    if n is None:
        raise Http404()
    return n


def _with_bell(request, actor, template: str, context: dict):
    """A fragment, and the bell's count swapped out-of-band (one more query)."""
    unread = selectors.unread_count(
        user=actor.user, organization=actor.organization, cap=selectors.BELL_CAP
    )
    return render_in_org_time(request, actor, template, {**context, "bell_unread": unread})


@require_POST
def read_one(request, org: str, notification_id: int):
    actor = web_actor(request, org)
    n = _own(actor, notification_id)
    services.mark_read(user=actor.user, ids=[n.pk], organization=actor.organization)
    if getattr(request, "htmx", False):
        n.refresh_from_db()
        return _with_bell(request, actor, "notifications/_row.html", {"n": _rows([n])[0]})
    return redirect("notification_inbox", org)


def open_one(request, org: str, notification_id: int):
    """Follow a notification's link, marking it read."""
    actor = web_actor(request, org)
    n = _own(actor, notification_id)
    if n.read_at is None:
        services.mark_read(user=actor.user, ids=[n.pk], organization=actor.organization)
    return HttpResponseRedirect(n.link or reverse("notification_inbox", args=[org]))


@require_POST
def read_all(request, org: str):
    actor = web_actor(request, org)
    count = services.mark_read(user=actor.user, all=True, organization=actor.organization)
    if getattr(request, "htmx", False):
        unread_only = request.POST.get("unread") == "1"
        kind = request.POST.get("kind") or ""
        if kind not in INBOX_GROUPS:
            kind = ""
        qs = selectors.notification_list(
            user=actor.user,
            pending_approvals=pending_approvals(),
            organization=actor.organization,
            unread=unread_only,
            kind=kind or None,
        )
        page = Paginator(qs, PAGE_SIZE).get_page(request.POST.get("page"))
        return _with_bell(
            request,
            actor,
            "notifications/_list.html",
            {
                "page": page,
                "rows": _rows(list(page.object_list)),
                "unread_only": unread_only,
                "query": urlencode(
                    {**({"unread": "1"} if unread_only else {}), **({"kind": kind} if kind else {})}
                ),
            },
        )
    flash.success(request, _("%(n)s notifications marked read.") % {"n": count})
    return redirect("notification_inbox", org)


def _kind_rows(prefs) -> list[dict]:
    return [
        {
            "kind": kind,
            "label": label,
            "email": prefs.wants_email(kind),
            "chat": prefs.wants_chat(kind),
        }
        for kind, label in EventKind.choices
    ]


def preferences(request, org: str):
    """Which events reach me by mail and chat @-mention (in-app always), digest, quiet hours."""
    actor = web_actor(request, org)
    error = None
    status = 200
    if request.method == "POST":
        try:
            services.update_preferences(
                actor=actor,
                email_kinds=request.POST.getlist("email"),
                chat_kinds=request.POST.getlist("chat"),
                digest=request.POST.get("digest") == "on",
                quiet_start=request.POST.get("quiet_start", ""),
                quiet_end=request.POST.get("quiet_end", ""),
                coalesce_mail=(
                    request.POST.get("coalesce_mail") == "on"
                    if "coalesce_shown" in request.POST
                    else None
                ),
            )
        except InvalidInput as exc:
            error, status = error_text(exc), 422
        else:
            flash.success(request, _("Your notification preferences are saved."))
            return redirect("notification_preferences", org)
    prefs = selectors.preferences_of(actor=actor)
    return render_in_org_time(
        request,
        actor,
        "notifications/preferences.html",
        {
            "tab": "notifications",
            "prefs": prefs,
            "coalesce": coalesces(prefs, load_org_settings(actor.organization.pk)),
            "coalesce_minutes": settings.LINKSTAR_MAIL_COALESCE_MINUTES,
            "kinds": _kind_rows(prefs),
            "error": error,
            "posted": request.POST if error else None,
        },
        status=status,
    )


def org_settings(request, org: str):
    """The organization's reminder rules (administrators)."""
    actor = web_actor(request, org)
    policy.require(actor, "notification.settings")
    error, status = None, 200
    current = load_org_settings(actor.organization.pk)
    lead_text = ", ".join(str(d) for d in current.due_soon_days)
    stalled_text = str(current.stalled_days)
    time_text = current.reminder_time.strftime("%H:%M")
    coalesce = current.coalesce_mail
    if request.method == "POST":
        lead_text = request.POST.get("due_soon_days", "")
        stalled_text = request.POST.get("stalled_days", "")
        time_text = request.POST.get("reminder_time", "")
        # The checkbox counts only where the form shows it (an unticked box sends nothing).
        if "coalesce_shown" in request.POST:
            coalesce = request.POST.get("coalesce_mail") in {"1", "on", "true"}
        try:
            leads = [int(x) for x in lead_text.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            leads = None
        try:
            stalled = int(stalled_text)
        except ValueError:
            stalled = None
        try:
            if leads is None:
                raise InvalidInput(
                    FieldError("due_soon_days", _("Whole numbers of days, e.g. 2, 0."))
                )
            if stalled is None:
                raise InvalidInput(FieldError("stalled_days", _("A whole number of days.")))
            services.update_org_settings(
                actor=actor,
                due_soon_days=leads,
                stalled_days=stalled,
                reminder_time=time_text or None,
                coalesce_mail=coalesce,
            )
        except InvalidInput as exc:
            error, status = error_text(exc), 422
        else:
            flash.success(request, _("The reminder settings are saved."))
            return redirect("notification_settings", org)
    return render_in_org_time(
        request,
        actor,
        "notifications/org_settings.html",
        {
            "tab": "reminders",
            "lead_text": lead_text,
            "stalled_text": stalled_text,
            "time_text": time_text,
            "coalesce": coalesce,
            "coalesce_minutes": settings.LINKSTAR_MAIL_COALESCE_MINUTES,
            "error": error,
        },
        status=status,
    )
