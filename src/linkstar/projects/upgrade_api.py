"""API of the project upgrade: preview and apply a move to a newer template version."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from pydantic import Field

from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS
from linkstar.projects import selectors
from linkstar.projects.schemas import ProjectOut
from linkstar.projects.selectors.upgrade import (
    PlannedTask,
    UpgradePlan,
    preview_upgrade,
    target_version,
)
from linkstar.projects.serializers import project_out
from linkstar.projects.services.upgrade import upgrade_project
from linkstar.reports.serializers import with_forecasts

router = Router(tags=["store projects and tasks"])


class FieldChangeOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class PlannedTaskOut(Schema):
    key: str
    title: str
    title_en: str
    status: str | None = Field(description="the task's status now; null for a task to add")
    task_id: int | None
    changes: list[FieldChangeOut] = Field(description="blueprint fields the new version changes")
    reason: str | None = Field(
        description="for kept tasks: `removed` or `changed` in the new version, but started"
    )


class UpgradePlanOut(Schema):
    project_id: int
    template_id: int
    from_version: int
    to_version: int
    added: list[PlannedTaskOut]
    skipped: list[PlannedTaskOut]
    updated: list[PlannedTaskOut]
    kept: list[PlannedTaskOut]


class UpgradeIn(Schema):
    version: int = Field(description="number of the published template version to move to")
    project_version: int | None = Field(
        None, description="the project's version, for optimistic locking"
    )


def _task_out(item: PlannedTask) -> dict:
    return {
        "key": item.key,
        "title": item.title,
        "title_en": item.title_en,
        "status": item.status,
        "task_id": item.task_id,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in item.changes],
        "reason": item.reason or None,
    }


def plan_out(plan: UpgradePlan) -> dict:
    return {
        "project_id": plan.project.pk,
        "template_id": plan.to_version.template_id,
        "from_version": plan.from_version.number,
        "to_version": plan.to_version.number,
        **{
            kind: [_task_out(item) for item in getattr(plan, kind)]
            for kind in ("added", "skipped", "updated", "kept")
        },
    }


@router.get("/orgs/{org}/projects/{project_id}/upgrade", response={200: UpgradePlanOut, **ERRORS})
def upgrade_preview(request, org: str, project_id: int, version: int | None = None):
    """What moving the project to template version ``version`` (default: the newest published)
    would do: tasks added, skipped, updated, and kept because they are started. Writes nothing."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    plan = preview_upgrade(actor=actor, project=project, version=target_version(project, version))
    return plan_out(plan)


@router.post("/orgs/{org}/projects/{project_id}/upgrade", response={200: ProjectOut, **ERRORS})
def upgrade_apply(request, org: str, project_id: int, payload: UpgradeIn):
    """Move the project to a newer published version of its template (its manager or an admin):
    new tasks created, removed ones skipped if not started, changed ones updated if not started."""
    actor = actor_for(request, org)
    project = selectors.project_get(actor=actor, project_id=project_id)
    upgrade_project(
        actor=actor,
        project=project,
        version=target_version(project, payload.version),
        expected_version=payload.project_version,
    )
    project = selectors.project_get(actor=actor, project_id=project_id)
    return with_forecasts([project_out(project, actor)])[0]
