from __future__ import annotations

from ninja import Query, Router, Schema, Status
from pydantic import Field

from linkstar.api.common import ERRORS, actor_for, page
from linkstar.api.paging import Paging
from linkstar.compliance import selectors, services
from linkstar.compliance.schemas import OverrideOut, ReadinessOut, ReasonIn, RiskList, RiskOut
from linkstar.projects import selectors as project_selectors

router = Router(tags=["compliance: readiness and association risks"])


class RiskFilters(Schema):
    status: str | None = Field(None, description="open or acknowledged")
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


def risk_out(risk, visible: set[int]) -> dict:
    other = risk.other_project if risk.other_project_id in visible else None
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
        "kind": risk.kind,
        "kind_label": services.kind_label(risk.kind),
        "masked": risk.masked,
        "status": risk.status,
        "acknowledged_by": risk.acknowledged_by_id,
        "acknowledged_at": risk.acknowledged_at,
        "reason": risk.reason,
        "created_at": risk.created_at,
    }


def _risk_page(actor, qs, paging: Paging) -> dict:
    def serialize(risks):
        visible = selectors.visible_other_ids(actor, risks)
        return [risk_out(r, visible) for r in risks]

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
    return _risk_page(actor, qs, paging)


@router.get("/orgs/{org}/risks", response={200: RiskList, **ERRORS})
def risk_list(request, org: str, paging: Query[Paging], filters: Query[RiskFilters]):
    """Every association risk of the projects the caller may see; filter by status, kind,
    project."""
    actor = actor_for(request, org)
    qs = selectors.risk_list(actor=actor, **filters.model_dump())
    return _risk_page(actor, qs, paging)


@router.post("/orgs/{org}/risks/{risk_id}/acknowledge", response={200: RiskOut, **ERRORS})
def risk_acknowledge(request, org: str, risk_id: int, payload: ReasonIn):
    """The project's manager or an admin accepts the risk with a business reason (audited);
    409 ``risk_acknowledged`` when it already was."""
    actor = actor_for(request, org)
    risk = selectors.risk_get(actor=actor, risk_id=risk_id)
    services.acknowledge_risk(actor=actor, risk=risk, reason=payload.reason)
    risk = selectors.risk_get(actor=actor, risk_id=risk_id)
    return risk_out(risk, selectors.visible_other_ids(actor, [risk]))
