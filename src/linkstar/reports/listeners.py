"""What the reports do when the project services announce a change: recompute the facts and the
forecast of those projects, in the same transaction."""

from __future__ import annotations

from linkstar.core.announcements import PROJECTS_CHANGED, PROJECTS_CREATED, listen
from linkstar.reports.facts import refresh_projects


@listen(PROJECTS_CREATED)
def record_new_projects(*, projects) -> None:
    refresh_projects([p.pk for p in projects])


@listen(PROJECTS_CHANGED)
def refresh_changed_projects(*, project_ids) -> None:
    refresh_projects(project_ids)
