"""The client's portal (客户门户): what an agency's client comes to see — its stores with their
stage, progress, next step, what waits on the client and the planned opening; its open document
requests; its documents with their expiry; and the agency's messages to it. Nothing internal:
no staff list, workload, credentials, audit or templates. Reads only, through each app's
selectors, scoped to the client's own seller entity."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.web import web_actor
from linkstar.core import clock, policy
from linkstar.core.exceptions import InvalidInput
from linkstar.core.web import render_in_org_time
from linkstar.docrequests import selectors as requests
from linkstar.docrequests.models import ItemStatus, RequestItem, RequestStatus
from linkstar.documents import selectors as documents
from linkstar.projects import selectors as projects
from linkstar.projects import visibility
from linkstar.projects.models import FINISHED_TASK_STATUSES, Task
from linkstar.projects.services import add_comment
from linkstar.projects.visibility import is_client

DOCUMENT_ROWS = 50


def _next_steps(project_ids: list[int]) -> dict[int, Task]:
    """The first open task of each project, in plan order (one query)."""
    first: dict[int, Task] = {}
    rows = (
        Task.objects.filter(project_id__in=project_ids)
        .exclude(status__in=FINISHED_TASK_STATUSES)
        .only("id", "project_id", "title", "title_en", "due_date", "position", "status")
        .order_by("project_id", "position")
    )
    for task in rows:
        first.setdefault(task.project_id, task)
    return first


def _waiting_on_client(project_ids: list[int]) -> Counter:
    """Per project, the requested documents the client still has to upload (one query)."""
    return Counter(
        RequestItem.objects.filter(
            request__project_id__in=project_ids,
            request__status=RequestStatus.OPEN,
            status__in=(ItemStatus.WAITING, ItemStatus.REJECTED),
        ).values_list("request__project_id", flat=True)
    )


def portal_context(actor) -> dict:
    today = clock.org_today(actor.organization)
    stores = list(
        projects.project_list(actor=actor, order="planned_finish").exclude(stage="cancelled")
    )
    ids = [p.pk for p in stores]
    steps = _next_steps(ids)
    waiting = _waiting_on_client(ids)
    for p in stores:
        p.next_step = steps.get(p.pk)
        p.waiting_on_client = waiting.get(p.pk, 0)
    open_requests = requests.marked(
        requests.request_list(actor=actor, status=RequestStatus.OPEN), today
    )
    for r in open_requests:
        r.to_upload = sum(
            1 for i in r.item_list if i.status in (ItemStatus.WAITING, ItemStatus.REJECTED)
        )
    docs = list(
        documents.document_list(actor=actor, today=today).order_by(
            F("expiry_date").asc(nulls_last=True), "id"
        )[:DOCUMENT_ROWS]
    )
    for d in docs:
        d.state = d.status_on(today)
        d.left = d.days_left(today)
    return {
        "today": today,
        "client_messages": projects.client_messages(actor=actor),
        "stores": stores,
        "open_requests": open_requests,
        "documents": docs,
    }


def portal(request, org: str):
    """The client's home (also answered at the workbench's address for a client)."""
    actor = web_actor(request, org)
    if not is_client(actor):
        return HttpResponseRedirect(reverse("workbench", args=[org]))
    return render_in_org_time(request, actor, "portal/portal.html", portal_context(actor))


@require_POST
def portal_message(request, org: str):
    """A client's message to the team of one of its stores (a comment on the project, which
    reaches the project's manager and team)."""
    actor = web_actor(request, org)
    project = policy.get_visible(visibility.visible_projects(actor), pk=request.POST.get("project"))
    try:
        add_comment(
            actor=actor, project=project, body=request.POST.get("body", ""), for_client=True
        )
    except InvalidInput as exc:
        messages.error(request, exc.errors[0].message)
    else:
        messages.success(
            request, _("Sent to the team of %(store)s.") % {"store": project.store_name}
        )
    return HttpResponseRedirect(reverse("portal", args=[org]) + "#portal-messages")
