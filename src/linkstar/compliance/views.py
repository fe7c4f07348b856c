"""Pages of compliance: the readiness card and page, the risks card of a project, the
organization's risk page. Thin: the services decide, the selectors read."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from linkstar.accounts.web import web_actor
from linkstar.catalog.models import DocumentType
from linkstar.compliance import selectors, services
from linkstar.compliance.models import ReadinessOverride, RiskStatus
from linkstar.core import policy
from linkstar.entities.models import IdentifierKind
from linkstar.projects import selectors as project_selectors

PAGE_SIZE = 50
ENVIRONMENT_LABELS = {
    "registration_email": gettext_lazy("Registration email"),
    "registration_phone": gettext_lazy("Registration phone"),
    "ip_address": gettext_lazy("IP address / proxy"),
    "device_profile": gettext_lazy("Device or browser profile"),
}
CARD_RISKS = 8  # risks listed on the project page; the rest on the risk page


def _can_manage(actor, project) -> bool:
    return project.status == "active" and policy.can(actor, "project.update", project)


def _readiness_context(actor, project) -> dict:
    state = services.readiness(project)
    gaps = [i for i in state["items"] if i["status"] != services.OK]
    override = state["override"]
    return {
        "actor": actor,
        "project": project,
        "readiness": state,
        "gaps": gaps,
        "ok_count": len(state["items"]) - len(gaps),
        "override": override,
        "can_override": _can_manage(actor, project) and bool(gaps) and not state["overridden"],
    }


def _risks_context(actor, project) -> dict:
    qs = selectors.risk_list(actor=actor, project=project.pk).exclude(status=RiskStatus.CLOSED)
    risks = list(qs[: CARD_RISKS + 1])
    context = _decorate(actor, project, risks[:CARD_RISKS], more=len(risks) > CARD_RISKS)
    context["counts"] = selectors.risk_counts(actor=actor, project=project.pk)
    recorded = {i["field"]: i for i in services.store_environment(project)}
    context["environment"] = [
        {"field": name, "label": label, "masked": recorded.get(name, {}).get("masked", "")}
        for name, label in ENVIRONMENT_LABELS.items()
    ]
    return context


def _show(risk) -> None:
    risk.kind_text = services.kind_label(risk.kind)
    risk.shown_identifiers = [
        {"kind_label": services.kind_label(i["kind"]), "masked": i["masked"]}
        for i in risk.identifiers
    ]


def _decorate(actor, project, risks, *, more: bool) -> dict:
    for risk in selectors.oriented(actor, risks, project.pk):
        _show(risk)
    return {
        "actor": actor,
        "project": project,
        "risks": risks,
        "risks_loaded": True,
        "more_risks": more,
        "can_acknowledge": _can_manage(actor, project),
    }


@require_GET
def readiness_card(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    return render(request, "compliance/_readiness_card.html", _readiness_context(actor, project))


@require_GET
def readiness_page(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    context = _readiness_context(actor, project)
    overrides = list(
        ReadinessOverride.objects.filter(project_id=project.pk)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:20]
    )
    names = {i["document_type"]: i["name"] for i in context["readiness"]["items"]}
    codes = {g.get("document_type") for o in overrides for g in o.items or []} - set(names)
    names.update(
        {t.code: t.display_name for t in DocumentType.objects.filter(code__in=codes)}
        if codes
        else {}
    )
    for override in overrides:
        override.gaps = [
            {
                "name": names.get(g.get("document_type"), g.get("document_type")),
                "label": services.STATUS_LABELS.get(g.get("status"), g.get("status")),
            }
            for g in override.items or []
        ]
    context["overrides"] = overrides
    return render(request, "compliance/readiness.html", context)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
def readiness_override(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    services.override_readiness(actor=actor, project=project, reason=request.POST.get("reason", ""))
    if getattr(request, "htmx", False):
        return render(
            request, "compliance/_readiness_card.html", _readiness_context(actor, project)
        )
    messages.success(request, _("Readiness override recorded."))
    return HttpResponseRedirect(
        _back(request, reverse("project_readiness", args=[org, project.pk]))
    )


@require_GET
def risks_card(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    return render(request, "compliance/_risks_card.html", _risks_context(actor, project))


@require_POST
def risk_acknowledge(request, org: str, risk_id: int):
    actor = web_actor(request, org)
    risk = selectors.risk_get(actor=actor, risk_id=risk_id)
    services.acknowledge_risk(actor=actor, risk=risk, reason=request.POST.get("reason", ""))
    card = request.POST.get("card", "")
    if getattr(request, "htmx", False) and card:
        # the card of the project it was posted from (either side of the pair)
        seen_from = int(card) if card.isdigit() else None
        if seen_from not in (risk.project_id, risk.other_project_id):
            seen_from = risk.project_id
        project = project_selectors.project_get(actor=actor, project_id=seen_from)
        return render(request, "compliance/_risks_card.html", _risks_context(actor, project))
    messages.success(request, _("Association risk acknowledged."))
    return HttpResponseRedirect(_back(request, reverse("risk_list", args=[org])))


@require_POST
def project_environment(request, org: str, project_id: int):
    """The store's registration environment from the risks card: a filled field records its
    value, a ticked "clear" removes it, an empty one keeps what is recorded."""
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    values = {}
    for name in ENVIRONMENT_LABELS:
        value = request.POST.get(name, "").strip()
        if value:
            values[name] = value
        elif request.POST.get(f"clear_{name}"):
            values[name] = ""
    services.set_store_environment(actor=actor, project=project, values=values)
    if getattr(request, "htmx", False):
        return render(request, "compliance/_risks_card.html", _risks_context(actor, project))
    messages.success(request, _("Registration environment saved."))
    return HttpResponseRedirect(_back(request, reverse("project_detail", args=[org, project.pk])))


@require_POST
def risks_acknowledge(request, org: str):
    """The ticked risks of the risk page, accepted with one reason (all or nothing)."""
    actor = web_actor(request, org)
    ids = [i for i in request.POST.getlist("risk_ids") if i.isdigit()]
    done = services.acknowledge_risks(
        actor=actor, risk_ids=ids, reason=request.POST.get("reason", "")
    )
    messages.success(
        request,
        ngettext(
            "%(n)d association risk acknowledged.",
            "%(n)d association risks acknowledged.",
            len(done),
        )
        % {"n": len(done)},
    )
    return HttpResponseRedirect(_back(request, reverse("risk_list", args=[org])))


@require_GET
def risk_list(request, org: str):
    """Every association risk of the projects the member may see; open ones by default."""
    actor = web_actor(request, org)
    status = request.GET.get("status", RiskStatus.OPEN)
    status = status if status in (*RiskStatus.values, "all") else RiskStatus.OPEN
    kind = request.GET.get("kind") if request.GET.get("kind") in IdentifierKind.values else None
    project = request.GET.get("project")
    project = int(project) if project and project.isdigit() else None
    qs = selectors.risk_list(
        actor=actor, status=None if status == "all" else status, kind=kind, project=project
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.oriented(actor, page.object_list, project)
    for risk in rows:
        _show(risk)
        risk.can_acknowledge = risk.status == RiskStatus.OPEN and services.may_acknowledge(
            actor, risk
        )
    query = {"status": status, "kind": kind or "", "project": project or ""}
    query = {k: v for k, v in query.items() if v}
    return render(
        request,
        "compliance/risk_list.html",
        {
            "actor": actor,
            "page": page,
            "rows": rows,
            "status": status,
            "kind": kind or "",
            "project_filter": project,
            "kinds": IdentifierKind.choices,
            "counts": selectors.risk_counts(actor=actor),
            "can_bulk": any(r.can_acknowledge for r in rows),
            "query": urlencode(query),
        },
    )
