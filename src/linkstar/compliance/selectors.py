"""Reads on readiness and association risks, scoped to the projects the actor may see."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from linkstar.compliance.models import AssociationRisk, RiskStatus, orient
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.entities.models import IdentifierKind
from linkstar.projects import visibility


def risk_queryset(actor: Actor) -> QuerySet[AssociationRisk]:
    """Risks with at least one of their two projects visible to the actor."""
    visible = visibility.visible_projects(actor).values("pk")
    return (
        AssociationRisk.objects.filter(organization_id=actor.organization.pk)
        .filter(Q(project__in=visible) | Q(other_project__in=visible))
        .select_related(
            "project__site",
            "other_project__site",
            "acknowledged_by",
            "project__entity",
            "other_project__entity",
        )
        .annotate(
            open_first=Case(
                When(status=RiskStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-created_at", "-id")
    )


def risk_list(
    *,
    actor: Actor,
    status: str | None = None,
    project: int | None = None,
    kind: str | None = None,
) -> QuerySet[AssociationRisk]:
    if status and status not in RiskStatus.values:
        raise InvalidInput(
            FieldError("status", _("One of: %(v)s.") % {"v": ", ".join(RiskStatus.values)})
        )
    if kind and kind not in IdentifierKind.values:
        raise InvalidInput(
            FieldError("kind", _("One of: %(v)s.") % {"v": ", ".join(IdentifierKind.values)})
        )
    qs = risk_queryset(actor)
    if status:
        qs = qs.filter(status=status)
    if project:
        qs = qs.filter(Q(project_id=project) | Q(other_project_id=project))
    if kind:
        qs = qs.filter(kinds__contains=f" {kind} ")
    return qs


def oriented(actor: Actor, risks, project: int | None = None) -> list[AssociationRisk]:
    """The risks seen from ``project`` when given, else from a side the actor may see (the
    first project of the pair when both); ``other_visible`` says whether the actor may see the
    other side (one query, none for roles that see every project)."""
    risks = list(risks)
    ids = {pk for r in risks for pk in (r.project_id, r.other_project_id)}
    if visibility.sees_all_projects(actor):
        seen = ids
    else:
        seen = set(
            visibility.visible_projects(actor)
            .filter(pk__in=sorted(ids))
            .values_list("pk", flat=True)
        )
    for risk in risks:
        if project is not None:
            orient(risk, project)
        elif risk.project_id not in seen:
            orient(risk, risk.other_project_id)
        risk.other_visible = risk.other_project_id in seen
    return risks


def risk_get(*, actor: Actor, risk_id: int) -> AssociationRisk:
    return policy.get_visible(risk_queryset(actor), pk=risk_id)


def risk_counts(*, actor: Actor, project: int | None = None) -> dict[str, int]:
    """Open, acknowledged and closed risks the actor may see, of one project or all (one
    query)."""
    qs = risk_queryset(actor)
    if project:
        qs = qs.filter(Q(project_id=project) | Q(other_project_id=project))
    rows = qs.order_by().values("status").annotate(n=Count("pk"))
    counts = {s: 0 for s in RiskStatus.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts
