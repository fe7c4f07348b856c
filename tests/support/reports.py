"""Made-up project histories for the reports' tests: stage changes written on given days, as the
stage machine would have written them, then the facts recomputed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from linkstar.projects.models import StageChange, StoreProject
from linkstar.reports.facts import refresh_projects

SHANGHAI = ZoneInfo("Asia/Shanghai")


def lived(project: StoreProject, *moves: tuple[str, dt.date]) -> StoreProject:
    """``project`` went through ``moves`` (stage, day), in order; its stage is the last one."""
    previous = project.stage
    for stage, day in moves:
        StageChange.objects.create(
            project=project,
            from_stage=previous,
            to_stage=stage,
            at=dt.datetime.combine(day, dt.time(11), tzinfo=SHANGHAI),
        )
        previous = stage
    StoreProject.objects.filter(pk=project.pk).update(stage=previous)
    refresh_projects([project.pk])
    project.refresh_from_db()
    return project


def days(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n)
