from __future__ import annotations

from ninja import Query, Router, Schema, Status
from pydantic import Field

from linkstar.accounts.web import actor_for
from linkstar.compliance import selectors, services
from linkstar.compliance.schemas import (
    EnvironmentIn,
    EnvironmentOut,
    OverrideOut,
    ReadinessOut,
    ReasonIn,
    RiskAcknowledgedOut,
    RiskAcknowledgeIn,
    RiskList,
    RiskOut,
)
from linkstar.core.api import ERRORS, Paging, page
from linkstar.projects import selectors as project_selectors

router = Router(tags=["compliance: readiness and association risks"])


class RiskFilters(Schema):
    status: str | None = Field(None, description="open, acknowledged or closed")
    kind: str | None = Field(None, description="an identifier kind, e.g. email")
    project: int | None = None


def override_out(override) -> dict:
    user = override.created_by
    return {
        "id": override.pk,
        "project_id": override.project_id,
        "reason": override.reason,
        "percent": override.percent,
        "items": override.items,
        "created_by": override.created_by_id,
        "created_by_name": user.display_name if user else "",
        "created_at": override.created_at,
    }


def readiness_out(project, state: dict) -> dict:
    override = state["override"]
    return {
        "project_id": project.pk,
        "percent": state["percent"],
        "submission_date": state["submission_date"],
        "items": state["items"],
        "overridden": state["overridden"],
        "override": override_out(override) if override else None,
    }


def risk_out(risk) -> dict:
    """A risk seen from its ``project`` (``selectors.oriented`` sets ``other_visible``)."""
    other = risk.other_project if getattr(risk, "other_visible", False) else None
    return {
        "id": risk.pk,
        "project_id": risk.project_id,
        "project_code": risk.project.code,
        "other_project_id": other.pk if other else None,
        "other_project": (
            {
                "id": other.pk,
                "code": other.code,
                "store_name": other.store_name,
                "site": other.site.code,
            }
            if other
            else None
        ),
        "basis": risk.basis,
        "basis_label": services.basis_label(risk.basis),
        "identifiers": [
            {"kind": i["kind"], "kind_label": services.kind_label(i["kind"]), "masked": i["masked"]}
            for i in risk.identifiers
        ],
        "kind": risk.kind,
        "kind_label": services.kind_label(risk.kind),
        "masked": risk.masked,
        "status": risk.status,
        "close_reason": risk.close_reason,
        "acknowledged_by": risk.acknowledged_by_id,
        "acknowledged_at": risk.acknowledged_at,
        "reason": risk.reason,
        "created_at": risk.created_at,
    }


def _risk_page(actor, qs, paging: Paging, project: int | None = None) -> dict:
    def serialize(risks):
        return [risk_out(r) for r in selectors.oriented(actor, risks, project)]

    return page(qs, limit=paging.limit, offset=paging.offset, serialize=serialize)


@router.get("/orgs/{org}/projects/{project_id}/readiness", response={200: ReadinessOut, **ERRORS})
def project_readiness(request, org: str, project_id: int):
    """Each document type the project's tasks need: ok, missing, expired, or expiring before
    the planned submission; with the percentage and the manager's override, if any."""
    actor = actor_for(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    return readiness_out(project, services.readiness(project))


@router.post(
    "/orgs/{org}/projects/{project_id}/readiness/override", response={201: OverrideOut, **ERRORS}
)
def project_readiness_override(request, org: str, project_id: int, payload: ReasonIn):
    """The project's manager or an admin lets it go under review below 100 % (audited); 409
    ``readiness_complete`` when nothing is missing. Association risks are not covered."""
    actor = actor_for(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    override = services.override_readiness(actor=actor, project=project, reason=payload.reason)
    return Status(201, override_out(override))


@router.get("/orgs/{org}/projects/{project_id}/risks", response={200: RiskList, **ERRORS})
def project_risks(request, org: str, project_id: int, paging: Query[Paging], status: str = ""):
    """The project's association risks: open ones first."""
    actor = actor_for(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    qs = selectors.risk_list(actor=actor, project=project.pk, status=status or None)
    return _risk_page(actor, qs, paging, project=project.pk)


@router.get("/orgs/{org}/risks", response={200: RiskList, **ERRORS})
def risk_list(request, org: str, paging: Query[Paging], filters: Query[RiskFilters]):
    """Every association risk of the projects the caller may see; filter by status, kind,
    project."""
    actor = actor_for(request, org)
    qs = selectors.risk_list(actor=actor, **filters.model_dump())
    return _risk_page(actor, qs, paging, project=filters.project)


@router.post("/orgs/{org}/risks/acknowledge", response={200: RiskAcknowledgedOut, **ERRORS})
def risks_acknowledge(request, org: str, payload: RiskAcknowledgeIn):
    """Accept several risks with one business reason: all or nothing, each audited
    (``risk.acknowledged``); a manager of either project of each pair, or an admin."""
    actor = actor_for(request, org)
    done = services.acknowledge_risks(actor=actor, risk_ids=payload.risk_ids, reason=payload.reason)
    risks = selectors.risk_list(actor=actor).filter(pk__in=[r.pk for r in done])
    items = [risk_out(r) for r in selectors.oriented(actor, risks)]
    return {"items": items, "count": len(items)}


@router.post("/orgs/{org}/risks/{risk_id}/acknowledge", response={200: RiskOut, **ERRORS})
def risk_acknowledge(request, org: str, risk_id: int, payload: ReasonIn):
    """A manager of either project of the pair, or an admin, accepts the risk with a business
    reason (audited); 409 ``risk_acknowledged`` when it already was."""
    actor = actor_for(request, org)
    risk = selectors.risk_get(actor=actor, risk_id=risk_id)
    services.acknowledge_risk(actor=actor, risk=risk, reason=payload.reason)
    risk = selectors.risk_get(actor=actor, risk_id=risk_id)
    return risk_out(selectors.oriented(actor, [risk])[0])


@router.get(
    "/orgs/{org}/projects/{project_id}/environment", response={200: EnvironmentOut, **ERRORS}
)
def project_environment(request, org: str, project_id: int):
    """The store's registration environment (email, phone, IP / proxy, device profile), masked:
    association-risk identifiers of this project."""
    actor = actor_for(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    return {"project_id": project.pk, "items": services.store_environment(project)}


@router.put(
    "/orgs/{org}/projects/{project_id}/environment", response={200: EnvironmentOut, **ERRORS}
)
def project_environment_set(request, org: str, project_id: int, payload: EnvironmentIn):
    """Record (a value), clear ("") or keep (absent) each part; the project's manager or an
    admin; audited with masked values (``project.environment_changed``); the project's
    association risks are found again."""
    actor = actor_for(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    items = services.set_store_environment(
        actor=actor, project=project, values=payload.model_dump(exclude_unset=True)
    )
    return {"project_id": project.pk, "items": items}
