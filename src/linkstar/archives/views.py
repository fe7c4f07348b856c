"""Pages of the archives app: export downloads, the Archives list with progress, the calendar
feed settings, and the public ``.ics`` feed itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from linkstar.accounts.web import web_actor
from linkstar.archives import selectors, services
from linkstar.archives.downloads import archive_response, export_response
from linkstar.archives.ical import calendar_for
from linkstar.core import clock, policy
from linkstar.core.exceptions import NotFound
from linkstar.core.web import show_once, take_once
from linkstar.projects.views.lists import filter_form

PAGE_SIZE = 50


def _render(request, actor, template: str, context: dict, status: int = 200):
    with timezone.override(actor.organization.time_zone or "UTC"):
        return render(request, template, {"actor": actor, **context}, status=status)


# --- exports ------------------------------------------------------------------------------------


@require_GET
def export_file(request, org: str, kind: str, fmt: str):
    """The project list page's export buttons: the same filters as the page shows."""
    actor = web_actor(request, org)
    if kind == "requests":
        return export_response(
            actor=actor,
            kind=kind,
            fmt=fmt,
            filters={"status": request.GET.get("status", "")},
        )
    filters = filter_form(actor, request.GET).filters()
    project_ids = [int(p) for p in request.GET.getlist("project") if p.isdigit()] or None
    return export_response(
        actor=actor,
        kind=kind,
        fmt=fmt,
        filters=filters,
        project_ids=project_ids if kind == "tasks" else None,
        with_tasks=request.GET.get("tasks") in ("1", "true", "on"),
    )


# --- archives -----------------------------------------------------------------------------------


def _decorate(actor, jobs: list) -> list:
    """Codes of the projects in each archive (one query for the page)."""
    ids = {pid for job in jobs for pid in job.project_ids[:3]}
    projects = selectors.projects_by_id(actor=actor, ids=ids)
    for job in jobs:
        job.project_refs = [projects[p] for p in job.project_ids[:3] if p in projects]
        job.more_projects = max(0, len(job.project_ids) - 3)
    return jobs


def archive_list(request, org: str):
    actor = web_actor(request, org)
    jobs = _decorate(actor, list(selectors.archive_list(actor=actor)[:PAGE_SIZE]))
    return _render(
        request,
        actor,
        "archives/archive_list.html",
        {
            "jobs": jobs,
            "tab": "archives",
            "can_archive": policy.can(actor, "archive.create"),
            "ttl_hours": settings.LINKSTAR_ARCHIVE_TTL_HOURS,
            "now": clock.now(),
        },
    )


def archive_request(request, org: str):
    """From the project page (``project`` ids) or the project list (its filter query)."""
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ids = [int(p) for p in request.POST.getlist("project") if p.isdigit()]
    if ids:
        job = services.request_archive(actor=actor, project_ids=ids)
    else:
        params = QueryDict(request.POST.get("query", ""))
        filters = {k: v for k, v in filter_form(actor, params).filters().items() if v is not None}
        filters.pop("order", None)
        job = services.request_archive(actor=actor, filters=filters)
    messages.success(
        request,
        _("The archive of %(n)s project(s) is being built; it appears below when ready.")
        % {"n": job.total},
    )
    return redirect(reverse("archive_list", args=[org]) + "#archive-" + str(job.pk))


def archive_row(request, org: str, archive_id: int):
    """One row of the Archives table (polled by htmx while the archive is being built)."""
    actor = web_actor(request, org)
    job = selectors.archive_get(actor=actor, job_id=archive_id)
    return _render(
        request,
        actor,
        "archives/_archive_row.html",
        {"job": _decorate(actor, [job])[0], "now": clock.now()},
    )


def archive_download(request, org: str, archive_id: int):
    actor = web_actor(request, org)
    job = selectors.archive_get(actor=actor, job_id=archive_id)
    return archive_response(actor=actor, job=job)


# --- calendar feed ------------------------------------------------------------------------------


@never_cache
def calendar_settings(request, org: str):
    """Make, replace or revoke my secret calendar address; the address is shown once."""
    actor = web_actor(request, org)
    created_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_calendar_feed(actor=actor)
            messages.success(
                request, _("Your calendar feed was revoked; its address stopped working.")
            )
            return redirect("calendar_settings", org)
        _feed, raw = services.create_calendar_feed(actor=actor)
        address = settings.LINKSTAR_BASE_URL + reverse("calendar_feed", kwargs={"token": raw})
        # Shown once, by the page the redirect lands on: a reload does not replace the address.
        show_once(request, "calendar_url", address)
        return redirect("calendar_settings", org)
    created_url = take_once(request, "calendar_url")
    feed = selectors.active_feed(actor=actor)
    response = _render(
        request,
        actor,
        "archives/calendar_settings.html",
        {
            "feed": feed,
            "created_url": created_url,
            "webcal_url": "webcal://" + created_url.split("://", 1)[1] if created_url else None,
            "tab": "calendar",
            "task_count": selectors.calendar_tasks(actor=actor).count(),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def calendar_feed(request, token: str):
    """The public feed: no sign-in, the secret token is the key; revoked or unknown → 404."""
    try:
        _feed, actor = services.feed_for_token(token)
    except NotFound:
        raise Http404() from None
    response = HttpResponse(calendar_for(actor), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="linkstar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
