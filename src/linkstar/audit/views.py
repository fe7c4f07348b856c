"""The audit log page (admins and auditors) and its chain verification."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from linkstar.accounts import selectors as account_selectors
from linkstar.accounts.web import web_actor
from linkstar.audit import selectors
from linkstar.audit.forms import AuditFilterForm
from linkstar.audit.labels import (
    action_label,
    change_lines,
    names_in,
    object_type_label,
    verify_reason,
    verify_statements,
)
from linkstar.audit.models import AuditEvent
from linkstar.audit.services import verify_chain
from linkstar.core import policy
from linkstar.core.web import render_in_org_time

PAGE_SIZE = 50


def _rows(actor, events: list[AuditEvent], users: dict[int, str]) -> list[dict]:
    """The events as table rows; the seller entities they name are looked up in one query."""
    names = names_in(actor, [e.changes for e in events], known={"user": users})
    return [
        {
            "event": event,
            "action_label": action_label(event.action),
            "known_action": action_label(event.action) != event.action,
            "object_label": object_type_label(event.object_type),
            "changes": change_lines(event.changes, object_type=event.object_type, names=names),
        }
        for event in events
    ]


def audit_log(request, org: str):
    """Events newest first, filtered by object, actor, action and date (organization time)."""
    actor = web_actor(request, org)
    policy.require(actor, "audit.view")
    members = list(account_selectors.member_list(actor=actor))
    users = {m.user_id: m.user.display_name for m in members}
    form = AuditFilterForm(
        request.GET or None,
        members=[(m.user_id, f"{m.user.display_name} <{m.user.email}>") for m in members],
        actions=selectors.audit_actions(actor=actor),
    )
    with timezone.override(actor.organization.time_zone or "UTC"):
        # Dates in the filter are days of the organization's calendar.
        events = selectors.audit_list(actor=actor, **form.filters()).select_related("actor")
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _rows(actor, list(page), users)
    query = request.GET.copy()
    query.pop("page", None)
    return render_in_org_time(
        request,
        actor,
        "audit/log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def audit_verify(request, org: str):
    """Recompute the organization's hash chain and compare it with its signed checkpoints (an
    HTMX fragment); a pass says what it proves and what it cannot."""
    actor = web_actor(request, org)
    policy.require(actor, "audit.view")  # HTMX: the refusal comes back as a toast's text
    result = verify_chain(organization_id=actor.organization.pk)
    bad_event = None
    if result.first_bad_id is not None:
        bad_event = (
            AuditEvent.objects.filter(organization_id=actor.organization.pk, pk=result.first_bad_id)
            .select_related("actor")
            .first()
        )
    context = {
        "result": result,
        "reason": verify_reason(result),
        "statements": verify_statements(result),
        "bad": _rows(actor, [bad_event], {})[0] if bad_event else None,
        "checked_at": timezone.now(),
    }
    template = "audit/_verify_result.html" if request.htmx else "audit/verify.html"
    if request.htmx:
        with timezone.override(actor.organization.time_zone or "UTC"):
            return render(request, template, {"actor": actor, **context})
    return render_in_org_time(request, actor, template, context)
