"""The forecast as projects' answers and pages carry it."""

from __future__ import annotations

from linkstar.reports.models import ProjectFact


def forecast_out(fact: ProjectFact | None) -> dict | None:
    if fact is None or fact.forecast_p50 is None:
        return None
    return {
        "p50": fact.forecast_p50,
        "p80": fact.forecast_p80,
        "basis": fact.forecast_basis,
        "history": fact.forecast_history,
        "slipping": fact.slipping,
    }


def forecasts(project_ids) -> dict[int, ProjectFact]:
    """The facts of these projects, by project id (one query)."""
    return {f.project_id: f for f in ProjectFact.objects.filter(project_id__in=list(project_ids))}


def with_forecasts(items: list[dict]) -> list[dict]:
    """Add ``forecast`` to serialized projects (one query for all of them)."""
    facts = forecasts(item["id"] for item in items)
    for item in items:
        item["forecast"] = forecast_out(facts.get(item["id"]))
    return items
