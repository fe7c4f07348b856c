"""Keeping the facts of projects, and the nightly aggregates, up to date.

``refresh_projects`` recomputes the facts row of some projects — their submission, result and
opening dates from their stage changes, and the forecast of the open ones — in a fixed number of
queries; the project services announce their changes and ``listeners.py`` calls it in the same
transaction. ``rebuild_organization`` redoes every project of an organization and the step and
approval aggregates (nightly, ``tasks.py``; the report page never waits for it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q

from linkstar.accounts.models import Organization
from linkstar.approvals.models import ApprovalDecision
from linkstar.core import clock
from linkstar.projects.models import (
    ProjectStatus,
    Stage,
    StageChange,
    StoreProject,
    Task,
    TaskStatus,
)
from linkstar.reports import rules
from linkstar.reports.models import ApprovalStat, ProjectFact, Rebuild, StepStat

FORECAST_STAGES = {Stage.PREPARING, Stage.UNDER_REVIEW, Stage.NEEDS_INFO, Stage.REJECTED}
SUBMITTED_STAGES = {Stage.UNDER_REVIEW, Stage.NEEDS_INFO}
FACT_FIELDS = [
    "organization",
    "site",
    "platform",
    "manager_id",
    "entity_id",
    "template_id",
    "template_version_id",
    "stage",
    "status",
    "start_date",
    "planned_finish",
    "submitted_on",
    "result_on",
    "opened_on",
    "rejected_count",
    "needs_info_count",
    "forecast_p50",
    "forecast_p80",
    "forecast_basis",
    "forecast_history",
    "slipping",
    "refreshed_at",
]
CHUNK = 500
# the queries of one refresh of up to CHUNK projects of one organization: the projects, their
# stage changes, the openings the forecasts learn from, and the upsert (in SQLite's chunks)
REFRESH_QUERIES = 4


def _local_date(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()


def timeline(changes: list[tuple[str, dt.date]]) -> dict:
    """From a project's stage changes (``(to_stage, day)``, oldest first): its first submission,
    the first result after it (已开通 or 未通过), its opening, and how often it was sent back for
    more documents or rejected."""
    submitted = result = opened = None
    rejected = needs_info = 0
    for stage, day in changes:
        if stage == Stage.UNDER_REVIEW and submitted is None:
            submitted = day
        elif stage == Stage.NEEDS_INFO:
            needs_info += 1
            submitted = submitted or day
        elif stage == Stage.REJECTED:
            rejected += 1
            if submitted is not None and result is None:
                result = day
        elif stage == Stage.OPENED:
            opened = opened or day
            if submitted is not None and result is None:
                result = day
    return {
        "submitted_on": submitted,
        "result_on": result,
        "opened_on": opened,
        "rejected_count": rejected,
        "needs_info_count": needs_info,
    }


def _histories(organization_id: int, platform_ids: set[int]) -> list[tuple]:
    """The projects the forecasts learn from, opened or still open (never the cancelled nor
    those closed without opening): (id, site, platform, start, submitted, opened)."""
    return list(
        ProjectFact.objects.filter(organization_id=organization_id, platform_id__in=platform_ids)
        .filter(Q(opened_on__isnull=False) | Q(status=ProjectStatus.ACTIVE))
        .exclude(stage=Stage.CANCELLED)
        .values_list(
            "project_id", "site_id", "platform_id", "start_date", "submitted_on", "opened_on"
        )
    )


def _cases(history, *, submitted_segment: bool, elapsed: int, today: dt.date):
    """The similar projects at the point this one stands at, as ``rules.Case`` with their site
    and platform: on the submission → opening segment, those not yet opened ``elapsed`` days
    after their submission; on the start → opening segment, those not yet *submitted*
    ``elapsed`` days after their start (a project still preparing is compared with projects that
    were still preparing at its age, not with those already under review)."""
    for _pk, site, platform, start, submitted, opened in history:
        if submitted_segment:
            if submitted is None:
                continue
            origin = submitted
        else:
            if submitted is not None and (submitted - start).days <= elapsed:
                continue
            origin = start
        end, was_opened = (opened, True) if opened else (today, False)
        left = (end - origin).days - elapsed
        if left > 0:
            yield site, platform, rules.Case(days=left, opened=was_opened)


def project_forecast(
    fact: dict, history: list[tuple], today: dt.date, *, cache=None
) -> rules.Forecast | None:
    """The forecast of one project's opening (None once it opened or stopped). ``cache``: a
    dict shared by the projects of one refresh — projects of one site at the same point share
    their similar projects, so a rebuild computes each point once. (The project itself is never
    among its similar projects: at its own point nothing of it is left yet.)"""
    if fact["status"] != ProjectStatus.ACTIVE or fact["stage"] not in FORECAST_STAGES:
        return None
    submitted = fact["submitted_on"]
    submitted_segment = fact["stage"] in SUBMITTED_STAGES and submitted is not None
    origin = submitted if submitted_segment else fact["start_date"]
    elapsed = max((today - origin).days, 0)
    key = (fact["site_id"], fact["platform_id"], submitted_segment, elapsed, today)
    cases = None if cache is None else cache.get(key)
    if cases is None:
        found = list(
            _cases(
                history,
                submitted_segment=submitted_segment,
                elapsed=elapsed,
                today=today,
            )
        )
        cases = (
            [c for site, _p, c in found if site == fact["site_id"]],
            [c for _s, platform, c in found if platform == fact["platform_id"]],
        )
        if cache is not None:
            cache[key] = cases
    planned_days = (
        (fact["planned_finish"] - fact["start_date"]).days if fact["planned_finish"] else 0
    )
    return rules.forecast(
        today=today,
        histories=[("site", cases[0]), ("platform", cases[1])],
        planned_finish=fact["planned_finish"],
        planned_days=planned_days,
    )


def refresh_projects(project_ids) -> int:
    """Recompute the facts of these projects (of one or several organizations); returns how
    many. Five queries per chunk of 500, whatever their history."""
    ids = sorted({int(pk) for pk in project_ids})
    for start in range(0, len(ids), CHUNK):
        _refresh_chunk(ids[start : start + CHUNK])
    return len(ids)


def _refresh_chunk(ids: list[int]) -> None:
    projects = list(
        StoreProject.objects.filter(pk__in=ids)
        .select_related("organization", "site", "template_version")
        .only(
            "id",
            "organization__time_zone",
            "site__id",
            "site__platform_id",
            "manager_id",
            "entity_id",
            "template_version__template_id",
            "template_version_id",
            "stage",
            "status",
            "start_date",
            "planned_finish",
        )
    )
    if not projects:
        return
    changes: dict[int, list] = defaultdict(list)
    for project_id, to_stage, at in (
        StageChange.objects.filter(project_id__in=ids)
        .order_by("project_id", "at", "id")
        .values_list("project_id", "to_stage", "at")
    ):
        changes[project_id].append((to_stage, at))
    now = clock.now()
    rows = []
    facts = []
    for project in projects:
        tz = ZoneInfo(project.organization.time_zone or "Asia/Shanghai")
        fact = {
            "organization_id": project.organization_id,
            "site_id": project.site_id,
            "platform_id": project.site.platform_id,
            "manager_id": project.manager_id,
            "entity_id": project.entity_id,
            "template_id": project.template_version.template_id,
            "template_version_id": project.template_version_id,
            "stage": project.stage,
            "status": project.status,
            "start_date": project.start_date,
            "planned_finish": project.planned_finish,
            **timeline([(s, _local_date(at, tz)) for s, at in changes.get(project.pk, [])]),
        }
        facts.append((project, fact))
    # the forecasts learn from the openings already recorded, these projects' own included
    by_org: dict[int, set[int]] = defaultdict(set)
    for _project, fact in facts:
        by_org[fact["organization_id"]].add(fact["platform_id"])
    histories = {org: _histories(org, platforms) for org, platforms in by_org.items()}
    cache: dict = {}
    for project, fact in facts:
        today = clock.today(project.organization.time_zone or "Asia/Shanghai")
        forecast = project_forecast(fact, histories[fact["organization_id"]], today, cache=cache)
        rows.append(
            ProjectFact(
                project_id=project.pk,
                **fact,
                forecast_p50=forecast.p50 if forecast else None,
                forecast_p80=forecast.p80 if forecast else None,
                forecast_basis=forecast.basis if forecast else "",
                forecast_history=forecast.history if forecast else 0,
                slipping=bool(forecast and forecast.slipping),
                refreshed_at=now,
            )
        )
    ProjectFact.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[f for f in FACT_FIELDS if f != "organization"],
    )


def refresh_changed(organization: Organization) -> int:
    """The projects changed since their facts were computed (or never computed)."""
    stale = StoreProject.objects.filter(organization=organization).filter(
        Q(fact__isnull=True) | Q(updated_at__gt=F("fact__refreshed_at"))
    )
    return refresh_projects(stale.values_list("pk", flat=True))


# --- the nightly aggregates -----------------------------------------------------------------------


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def step_stats(organization: Organization) -> list[StepStat]:
    """The finished steps of the organization, by template version, step, site and month: how
    many, how many on time (finished by their due date), and the histogram of how many days
    longer than planned they ran (started → finished against start → due)."""
    tz = ZoneInfo(organization.time_zone or "Asia/Shanghai")
    cells: dict[tuple, list] = {}
    rows = (
        Task.objects.filter(
            organization=organization,
            status=TaskStatus.DONE,
            completed_at__isnull=False,
            due_date__isnull=False,
        )
        .values_list(
            "project__template_version_id",
            "key",
            "project__site_id",
            "start_date",
            "due_date",
            "started_at",
            "completed_at",
        )
        .iterator(chunk_size=5000)
    )
    for version, key, site, start, due, started_at, completed_at in rows:
        finished = _local_date(completed_at, tz)
        began = _local_date(started_at, tz) if started_at else (start or finished)
        planned = (due - (start or due)).days
        actual = (finished - began).days
        cell = cells.setdefault((version, key, site, _month(finished)), [0, 0, Counter()])
        cell[0] += 1
        cell[1] += finished <= due
        cell[2][str(actual - planned)] += 1
    return [
        StepStat(
            organization=organization,
            template_version_id=version,
            key=key,
            site_id=site,
            month=month,
            finished=n,
            on_time=on_time,
            overrun=dict(overrun),
        )
        for (version, key, site, month), (n, on_time, overrun) in cells.items()
    ]


def approval_stats(organization: Organization) -> list[ApprovalStat]:
    """Every approval decision, by level, site and month: the hours it took since the request
    (level 1) or since the previous level's decision."""
    cells: dict[tuple, Counter] = {}
    previous: dict[int, dt.datetime] = {}
    rows = (
        ApprovalDecision.objects.filter(request__organization=organization)
        .order_by("request_id", "level")
        .values_list(
            "request_id", "level", "at", "request__created_at", "request__project__site_id"
        )
        .iterator(chunk_size=5000)
    )
    tz = ZoneInfo(organization.time_zone or "Asia/Shanghai")
    for request_id, level, at, requested_at, site in rows:
        since = previous.get(request_id, requested_at) if level > 1 else requested_at
        previous[request_id] = at
        hours = max(0, math.ceil((at - since).total_seconds() / 3600))
        cell = cells.setdefault((level, site, _month(_local_date(at, tz))), Counter())
        cell[str(hours)] += 1
    return [
        ApprovalStat(
            organization=organization, level=level, site_id=site, month=month, hours=dict(c)
        )
        for (level, site, month), c in cells.items()
    ]


def rebuild_organization(organization: Organization) -> None:
    """Every project's facts (twice: the second pass forecasts from every opening the first
    recorded) and the step and approval aggregates, replaced in one transaction."""
    ids = list(StoreProject.objects.filter(organization=organization).values_list("pk", flat=True))
    steps, approvals = step_stats(organization), approval_stats(organization)
    with transaction.atomic():
        ProjectFact.objects.filter(organization=organization).exclude(project_id__in=ids).delete()
        refresh_projects(ids)
        refresh_projects(ids)
        StepStat.objects.filter(organization=organization).delete()
        StepStat.objects.bulk_create(steps, batch_size=1000)
        ApprovalStat.objects.filter(organization=organization).delete()
        ApprovalStat.objects.bulk_create(approvals, batch_size=1000)
        Rebuild.objects.update_or_create(
            organization=organization, defaults={"built_at": clock.now()}
        )


def rebuild_all() -> int:
    count = 0
    for organization in Organization.objects.order_by("pk"):
        rebuild_organization(organization)
        count += 1
    return count
