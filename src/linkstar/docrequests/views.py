"""The pages of document requests (补料请求): the list, a new request (prefilled from the
readiness gaps), a request with its items, uploads and reviews, and the upload link's own page
for a client without an account. Thin: the services decide and audit."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from linkstar.accounts.web import web_actor
from linkstar.core import clock, policy
from linkstar.core.actors import client_ip
from linkstar.core.exceptions import Conflict, DomainError, InvalidInput, NotFound
from linkstar.core.web import render_in_org_time
from linkstar.docrequests import selectors, services, suggestions
from linkstar.docrequests.models import ItemStatus, RequestStatus, UploadStatus
from linkstar.documents.downloads import file_response
from linkstar.projects import visibility

NEW_ROWS = 3  # empty rows of a new request's form, besides the prefilled ones
DEFAULT_DUE_DAYS = 3
FIELD_LABELS = {
    "due_date": gettext_lazy("Due date"),
    "items": gettext_lazy("Documents"),
    "message": gettext_lazy("Message to the client"),
    "file": gettext_lazy("File"),
    "reason": gettext_lazy("Reason"),
    "decision": gettext_lazy("Decision"),
    "days": gettext_lazy("Valid for (days)"),
    "issue_date": gettext_lazy("Issue date"),
    "expiry_date": gettext_lazy("Expiry date"),
}
LIST_TABS = ("open", "overdue", "done", "all")


def say(exc: DomainError) -> str:
    """A refusal in words, each field named as the page names it."""
    if not isinstance(exc, InvalidInput):
        return exc.detail
    parts = []
    for error in exc.errors:
        base = re.sub(r"\[\d+\]", "", error.field).split(".")[-1]
        base = "items" if base in {"document_type", "note"} else base
        label = FIELD_LABELS.get(base, FIELD_LABELS["items"])
        row = _("row %(n)d, ") % {"n": error.row + 1} if error.row is not None else ""
        parts.append(f"{row}{label}: {error.message}")
    return "；".join(parts)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


# --- list ---------------------------------------------------------------------------------------


def request_list(request, org: str):
    actor = web_actor(request, org)
    tab = request.GET.get("tab") if request.GET.get("tab") in LIST_TABS else "open"
    filters = {
        "open": {"status": RequestStatus.OPEN},
        "overdue": {"overdue": True},
        "done": {"status": RequestStatus.DONE},
        "all": {},
    }[tab]
    today = clock.org_today(actor.organization)
    requests = selectors.marked(selectors.request_list(actor=actor, **filters)[:200], today)
    return render_in_org_time(
        request,
        actor,
        "docrequests/list.html",
        {"requests": requests, "tab": tab, "tabs": LIST_TABS, "today": today},
    )


WORKBENCH_ROWS = 10


def workbench_card(request, org: str):
    """The workbench's card: open requests overdue or with uploads waiting for review, of the
    projects the person works on (the most urgent first)."""
    actor = web_actor(request, org)
    today = clock.org_today(actor.organization)
    rows = selectors.marked(selectors.needing_attention(actor=actor, today=today), today)
    return render_in_org_time(
        request,
        actor,
        "docrequests/_workbench_card.html",
        {
            "attention": rows[:WORKBENCH_ROWS],
            "overdue_count": sum(1 for r in rows if r.overdue),
            "review_count": sum(1 for r in rows if r.review_count),
        },
    )


# --- new ----------------------------------------------------------------------------------------


def _project(actor, project_id: int):
    return policy.get_visible(
        visibility.visible_projects(actor).select_related("entity", "site"), pk=project_id
    )


def _posted_items(post) -> list[dict]:
    items = []
    for i in range(int(post.get("rows", 0) or 0)):
        if post.get(f"item-{i}-on") and post.get(f"item-{i}-type"):
            items.append(
                {"document_type": post[f"item-{i}-type"], "note": post.get(f"item-{i}-note", "")}
            )
    return items


def request_new(request, org: str, project_id: int):
    """The form that asks the client; prefilled with what the readiness gate finds missing."""
    actor = web_actor(request, org)
    project = _project(actor, project_id)
    policy.require(actor, "docrequest.manage", project)
    today = clock.org_today(actor.organization)
    error = ""
    if request.method == "POST":
        try:
            created = services.open_request(
                actor=actor,
                project=project,
                items=_posted_items(request.POST),
                due_date=_date(request.POST.get("due_date", "")),
                message=request.POST.get("message", ""),
            )
        except (InvalidInput, Conflict) as exc:
            error = say(exc)
        else:
            messages.success(request, _("The client has been asked for the documents."))
            return HttpResponseRedirect(reverse("docrequest_detail", args=[org, created.pk]))
    gaps = suggestions.suggested_items(project)
    rows = [
        {"type": g["document_type"], "on": True, "note": "", "status": g["status"]} for g in gaps
    ] + [{"type": "", "on": False, "note": "", "status": ""} for _ in range(NEW_ROWS)]
    return render_in_org_time(
        request,
        actor,
        "docrequests/new.html",
        {
            "project": project,
            "rows": rows,
            "document_types": selectors.document_types(),
            "due_date": request.POST.get("due_date")
            or (today + dt.timedelta(days=DEFAULT_DUE_DAYS)).isoformat(),
            "message": request.POST.get("message", ""),
            "error": error,
            "clients": selectors.clients_of(project),
            "gap_count": len(gaps),
        },
        status=422 if error else 200,
    )


def project_card(request, org: str, project_id: int):
    """The strip on a project's page: its open requests, and the one click that asks the client
    for what the readiness gate finds missing (highlighted in 需补料 or with gaps)."""
    actor = web_actor(request, org)
    project = _project(actor, project_id)
    may_ask = project.status == "active" and policy.can(actor, "docrequest.manage", project)
    gaps = suggestions.suggested_items(project) if may_ask else []
    today = clock.org_today(actor.organization)
    open_requests = selectors.marked(
        selectors.request_list(actor=actor, status=RequestStatus.OPEN, project_id=project.pk),
        today,
    )
    return render_in_org_time(
        request,
        actor,
        "docrequests/_project_card.html",
        {
            "project": project,
            "project_requests": open_requests,
            "may_ask": may_ask,
            "gap_count": len(gaps),
            "wanted": may_ask and (bool(gaps) or project.stage == "needs_info"),
        },
    )


# --- one request ----------------------------------------------------------------------------------


def _context(actor, found, **extra) -> dict:
    today = clock.org_today(actor.organization)
    manage = policy.can(actor, "docrequest.manage", found.project)
    is_open = found.status == RequestStatus.OPEN
    return {
        "r": found,
        "overdue": selectors.is_overdue(found, today),
        "may_manage": manage,
        "may_upload": is_open and policy.can(actor, "docrequest.upload", found.project),
        "is_open": is_open,
        "links": selectors.links_of(found) if manage else [],
        "now": clock.now(),
        "ItemStatus": ItemStatus,
        "UploadStatus": UploadStatus,
        "accepted": sum(1 for i in found.item_list if i.status == ItemStatus.ACCEPTED),
        **extra,
    }


def request_detail(request, org: str, request_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    return render_in_org_time(request, actor, "docrequests/detail.html", _context(actor, found))


def _back(org: str, request_id: int, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("docrequest_detail", args=[org, request_id]) + anchor)


def _upload(request, actor, item, link=None):
    """The posted file and dates to one item (signed in, or through ``link``)."""
    return services.upload_to_item(
        actor=actor,
        item=item,
        file=request.FILES.get("file"),
        issue_date=_date(request.POST.get("issue_date", "")),
        expiry_date=_date(request.POST.get("expiry_date", "")),
        link=link,
    )


@require_POST
def item_upload(request, org: str, request_id: int, item_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    item = selectors.item_of(found, item_id)
    try:
        _upload(request, actor, item)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, say(exc))
    else:
        messages.success(request, _("Uploaded. The team will review it."))
    return _back(org, request_id, f"#item-{item.pk}")


@require_POST
def upload_review(request, org: str, request_id: int, upload_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    upload = selectors.upload_of(found, upload_id)
    decision = request.POST.get("decision", "")
    try:
        services.review_upload(
            actor=actor,
            upload=upload,
            decision=decision,
            reason=request.POST.get("reason", ""),
            confirm_expiry=bool(request.POST.get("confirm_expiry")),
        )
    except (InvalidInput, Conflict) as exc:
        messages.error(request, say(exc))
    else:
        if decision == "accept":
            messages.success(request, _("Accepted: it is now the current version in the vault."))
        else:
            messages.success(request, _("Sent back to the client with your reason."))
    return _back(org, request_id, f"#item-{upload.item_id}")


@require_POST
def request_cancel(request, org: str, request_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    try:
        services.cancel_request(actor=actor, request=found, reason=request.POST.get("reason", ""))
    except (InvalidInput, Conflict) as exc:
        messages.error(request, say(exc))
    else:
        messages.success(request, _("The request was withdrawn."))
    return _back(org, request_id)


@require_POST
def link_create(request, org: str, request_id: int):
    """Make an upload link and show it this once (the page is answered directly, not through a
    redirect, so the token never sits in a message store)."""
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    raw = (request.POST.get("days") or "").strip()
    days = int(raw) if raw.isdigit() and len(raw) < 4 else (None if not raw else -1)
    try:
        _link, token = services.create_link(actor=actor, request=found, days=days)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, say(exc))
        return _back(org, request_id, "#links")
    found = selectors.request_get(actor=actor, request_id=request_id)
    return render_in_org_time(
        request,
        actor,
        "docrequests/detail.html",
        _context(actor, found, new_link_url=services.link_url(token)),
    )


@require_POST
def link_revoke(request, org: str, request_id: int, link_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    link = policy.get_visible(found.links.all(), pk=link_id)
    services.revoke_link(actor=actor, link=link)  # the manager's rule is the service's
    messages.success(request, _("The link was withdrawn; it opens nothing any more."))
    return _back(org, request_id, "#links")


def upload_file(request, org: str, request_id: int, upload_id: int):
    actor = web_actor(request, org)
    found = selectors.request_get(actor=actor, request_id=request_id)
    return file_response(selectors.upload_of(found, upload_id))


# --- the upload link's page (no account) --------------------------------------------------------


def _limited(request, token: str) -> bool:
    by_address = is_ratelimited(
        request,
        group="docrequest-link-ip",
        key="ip",
        rate=settings.LINKSTAR_LINK_RATE,
        increment=True,
    )
    by_link = is_ratelimited(
        request,
        group="docrequest-link",
        key=lambda _group, _request: services.hash_token(token),
        rate=settings.LINKSTAR_LINK_RATE,
        increment=True,
    )
    return by_address or by_link


def link_page(request, token: str):
    """What someone holding the link sees: the request's items, what was accepted or sent back,
    and an upload form per item still needed. Nothing else of the organization."""
    if _limited(request, token):
        return render(
            request,
            "docrequests/link_refused.html",
            {"reason": _("Too many attempts from here. Wait a minute and try again.")},
            status=429,
        )
    try:
        link = services.link_for_token(token)
    except NotFound:
        return render(
            request,
            "docrequests/link_refused.html",
            {"reason": _("This link is not valid. Ask the agency for a new one.")},
            status=404,
        )
    except Conflict as exc:
        return render(request, "docrequests/link_refused.html", {"reason": exc.detail}, status=410)
    ip = client_ip(request)
    actor = services.link_actor(link, ip=ip)
    error = ""
    if request.method == "POST":
        found = selectors.request_get(actor=actor, request_id=link.request_id)
        try:
            _upload(request, actor, selectors.item_of(found, request.POST.get("item", "")), link)
        except NotFound:
            error = _("That document is not part of this request.")
        except (InvalidInput, Conflict) as exc:
            error = say(exc)
        services.use_link(link=link, ip=ip, what="refused" if error else "uploaded")
        if not error:
            return HttpResponseRedirect(request.path + "?uploaded=1")
    else:
        services.use_link(link=link, ip=ip, what="opened")
    found = selectors.request_get(actor=actor, request_id=link.request_id)
    response = render(
        request,
        "docrequests/link_page.html",
        {
            "r": found,
            "link": link,
            "organization": link.organization,
            "error": error,
            "uploaded": request.GET.get("uploaded") == "1" and not error,
            "ItemStatus": ItemStatus,
        },
        status=422 if error else 200,
    )
    response["Cache-Control"] = "private, no-store"
    # the token is in the address: it never leaves in a Referer to another site (same-origin, not
    # no-referrer: the browser must still send the Origin header the CSRF check reads)
    response["Referrer-Policy"] = "same-origin"
    return response
