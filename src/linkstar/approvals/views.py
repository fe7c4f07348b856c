"""Approvals inbox (待我审批): what I may decide now, and my own requests and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.models import User
from linkstar.accounts.web import web_actor
from linkstar.approvals import selectors, services
from linkstar.approvals.models import ApprovalStatus, Decision

TABS = ("decide", "mine")
RECENT = 50
PAGE_SIZE = 50


def _with_people(actor, approvals) -> None:
    """Name the requester and each decider (one query for all of them)."""
    ids = set()
    for a in approvals:
        ids.add(a.requested_by_id)
        ids.update(d.decided_by_id for d in a.decision_list)
    ids.discard(None)
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=ids, memberships__organization_id=actor.organization.pk
        ).distinct()
    }
    for a in approvals:
        a.requester = users.get(a.requested_by_id)
        for d in a.decision_list:
            d.decider = users.get(d.decided_by_id)


def approval_inbox(request, org: str):
    actor = web_actor(request, org)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "decide"
    decidable = selectors.approval_list(actor=actor, mine=True)
    context = {"actor": actor, "tab": tab, "decidable_count": len(decidable)}
    if tab == "decide":
        page = Paginator(decidable, PAGE_SIZE).get_page(request.GET.get("page"))
        _with_people(actor, page.object_list)
        context["page"] = page
    else:
        base = selectors.approval_queryset(actor)
        requested = list(
            base.filter(requested_by_id=actor.user_id).order_by("-created_at")[:RECENT]
        )
        decided = list(
            base.filter(decisions__decided_by_id=actor.user_id)
            .distinct()
            .order_by("-created_at")[:RECENT]
        )
        _with_people(actor, requested + decided)
        for a in decided:
            a.my_decision = next(
                (d for d in a.decision_list if d.decided_by_id == actor.user_id), None
            )
        context.update({"requested": requested, "decided": decided})
    return render(request, "approvals/inbox.html", context)


@require_POST
def approval_decide(request, org: str, approval_id: int):
    """Approve or reject the current level (four eyes and roles are the service's)."""
    actor = web_actor(request, org)
    approval = selectors.approval_get(actor=actor, approval_id=approval_id)
    decision = request.POST.get("decision", "")
    approval = services.decide_approval(
        actor=actor, approval=approval, decision=decision, comment=request.POST.get("comment", "")
    )
    if decision == Decision.REJECT:
        messages.success(request, _("Rejected; the task is back in progress."))
    elif approval.status == ApprovalStatus.APPROVED:
        messages.success(request, _("Approved; the task is done."))
    else:
        messages.success(
            request,
            _("Level %(n)s approved; level %(m)s is next.")
            % {"n": approval.current_level - 1, "m": approval.current_level},
        )
    target = request.POST.get("next", "")
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = reverse("approval_inbox", args=[org])
    return HttpResponseRedirect(target)


@require_POST
def approval_withdraw(request, org: str, approval_id: int):
    """Take back a pending request for approval (the requester or the project's manager)."""
    actor = web_actor(request, org)
    approval = selectors.approval_get(actor=actor, approval_id=approval_id)
    services.withdraw_approval(
        actor=actor, approval=approval, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("Withdrawn; the task is back in progress."))
    target = request.POST.get("next", "")
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = reverse("approval_inbox", args=[org])
    return HttpResponseRedirect(target)
