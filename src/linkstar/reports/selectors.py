"""The report (报表): figures per platform and site over a period, the steps that overrun their
plan, approval lead times, and the people's load — read from the facts and the nightly
aggregates in a fixed number of queries, whatever the size of the history.

The period selects projects by their start date (a cohort: "the stores we started in March");
the step and approval aggregates by the month their steps finished or their decisions were taken.
Every figure carries how many cases it rests on (``n``) and whether that is enough
(``rules.MIN_SAMPLE``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils.translation import get_language

from linkstar.accounts.models import Membership, User
from linkstar.approvals.models import ApprovalRequest, ApprovalStatus
from linkstar.approvals.rules import may_decide
from linkstar.catalog.models import Platform, Site
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.playbooks.models import TaskBlueprint, Template, TemplateVersion
from linkstar.projects import visibility
from linkstar.projects.models import FINISHED_TASK_STATUSES, Stage
from linkstar.reports import rules
from linkstar.reports.models import ApprovalStat, ProjectFact, Rebuild, StepStat

BOTTLENECK_ROWS = 15
PEOPLE_WEEKS = 8
STAGES = [s for s, _label in Stage.choices]


@dataclass
class Filters:
    start: dt.date
    end: dt.date
    platform: str = ""
    site: str = ""
    manager: int | None = None
    entity: int | None = None
    template: int | None = None


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months up to today."""
    return today.replace(year=today.year - 1) + dt.timedelta(days=1), today


def _facts(actor: Actor, f: Filters):
    qs = ProjectFact.objects.filter(
        organization_id=actor.organization.pk, start_date__gte=f.start, start_date__lte=f.end
    )
    if not visibility.sees_all_projects(actor):
        qs = qs.filter(project_id__in=visibility.visible_projects(actor).values("pk"))
    if f.platform:
        qs = qs.filter(platform__code=f.platform)
    if f.site:
        qs = qs.filter(site__code=f.site)
    if f.manager:
        qs = qs.filter(manager_id=f.manager)
    if f.entity:
        qs = qs.filter(entity_id=f.entity)
    if f.template:
        qs = qs.filter(template_id=f.template)
    return qs.values_list(
        "site_id",
        "platform_id",
        "stage",
        "start_date",
        "submitted_on",
        "result_on",
        "opened_on",
        "rejected_count",
        "needs_info_count",
    )


def _durations(rows) -> dict:
    """The figures of one group of projects (facts rows)."""
    by_stage = Counter(r[2] for r in rows)
    to_submission = [(r[4] - r[3]).days for r in rows if r[4]]
    to_result = [(r[5] - r[4]).days for r in rows if r[4] and r[5]]
    to_opening = [(r[6] - r[3]).days for r in rows if r[6]]
    submitted = [r for r in rows if r[4]]
    through_needs_info = [r for r in submitted if r[8]]
    with_result = [r for r in rows if r[5]]
    return {
        "projects": len(rows),
        "by_stage": {s: by_stage.get(s, 0) for s in STAGES},
        "to_submission": rules.spread(to_submission).as_dict(),
        "to_result": rules.spread(to_result).as_dict(),
        "to_opening": rules.spread(to_opening).as_dict(),
        "needs_info_share": rules.rate(len(through_needs_info), len(submitted)).as_dict(),
        "needs_info_times": rules.Figure(
            n=len(through_needs_info),
            value=(sum(r[8] for r in through_needs_info) / len(through_needs_info))
            if through_needs_info
            else None,
        ).as_dict(),
        "rejection_rate": rules.rate(
            sum(1 for r in with_result if r[7]), len(with_result)
        ).as_dict(),
    }


def _months(f: Filters) -> tuple[dt.date, dt.date]:
    return f.start.replace(day=1), f.end.replace(day=1)


def _site_ids(f: Filters, sites: dict[int, Site]) -> set[int] | None:
    if f.site:
        return {pk for pk, s in sites.items() if s.code == f.site}
    if f.platform:
        return {pk for pk, s in sites.items() if s.platform.code == f.platform}
    return None


def _aggregate_rows(model, actor: Actor, f: Filters, sites: dict[int, Site]):
    """The nightly aggregate rows (steps, approvals) of the period's months and the chosen
    platform or site."""
    first, last = _months(f)
    qs = model.objects.filter(
        organization_id=actor.organization.pk, month__gte=first, month__lte=last
    )
    wanted = _site_ids(f, sites)
    return qs if wanted is None else qs.filter(site_id__in=wanted)


def _bottlenecks(actor: Actor, f: Filters, sites: dict[int, Site]) -> list[dict]:
    qs = _aggregate_rows(StepStat, actor, f, sites)
    if f.template:
        qs = qs.filter(
            template_version_id__in=TemplateVersion.objects.filter(template_id=f.template).values(
                "pk"
            )
        )
    cells: dict[tuple, list] = {}
    for version, key, finished, on_time, overrun in qs.values_list(
        "template_version_id", "key", "finished", "on_time", "overrun"
    ):
        cell = cells.setdefault((version, key), [0, 0, Counter()])
        cell[0] += finished
        cell[1] += on_time
        cell[2].update({int(k): v for k, v in overrun.items()})
    if not cells:
        return []
    versions = {
        v.pk: v
        for v in TemplateVersion.objects.filter(pk__in={v for v, _k in cells}).select_related(
            "template"
        )
    }
    titles = {
        (bp.template_version_id, bp.key): bp
        for bp in TaskBlueprint.objects.filter(
            template_version_id__in=list(versions), key__in={k for _v, k in cells}
        ).only("template_version_id", "key", "title", "title_en", "duration_days")
    }
    rows = []
    for (version, key), (finished, on_time, overrun) in cells.items():
        figure = rules.counted_spread(overrun)
        bp = titles.get((version, key))
        template_version = versions.get(version)
        rows.append(
            {
                "template_id": template_version.template_id if template_version else None,
                "template": template_version.template.display_name if template_version else "",
                "version": template_version.number if template_version else None,
                "key": key,
                "title": _title(bp) if bp else key,
                "planned_days": bp.duration_days if bp else None,
                "overrun": figure.as_dict(),
                "spread": rules.counted_quantile(overrun, 0.8)
                - rules.counted_quantile(overrun, 0.2)
                if figure.n
                else None,
                "on_time": rules.rate(on_time, finished).as_dict(),
            }
        )
    rows.sort(key=lambda r: (not r["overrun"]["enough"], -(r["overrun"]["median"] or 0)))
    return rows[:BOTTLENECK_ROWS]


def _title(bp: TaskBlueprint) -> str:
    english = (get_language() or "").startswith("en")
    return bp.title_en if english and bp.title_en else bp.title


def _approvals(actor: Actor, f: Filters, sites: dict[int, Site]) -> list[dict]:
    qs = _aggregate_rows(ApprovalStat, actor, f, sites)
    levels: dict[int, Counter] = defaultdict(Counter)
    for level, hours in qs.values_list("level", "hours"):
        levels[level].update({int(k): v for k, v in hours.items()})
    return [
        {"level": level, "hours": rules.counted_spread(levels[level]).as_dict()}
        for level in sorted(levels)
    ]


def _people(actor: Actor, today: dt.date) -> dict:
    """Open and overdue tasks per person, tasks finished per week, approvals waiting per reviewer
    — of the projects the actor may see (live counts, grouped in the database)."""
    tasks = visibility.visible_tasks(actor).filter(project__status="active")
    # the organization's own filter lets SQLite walk the (organization, assignee, status) index
    # instead of every task of every project (not in the weekly count below: there, the project
    # order reads the table in its own order, twice as fast as the index and the table lookups)
    load = {
        row["assignee_id"]: row
        for row in tasks.filter(organization_id=actor.organization.pk)
        .exclude(status__in=FINISHED_TASK_STATUSES)
        .filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
        .order_by()
    }
    since = today - dt.timedelta(days=7 * PEOPLE_WEEKS)
    week_starts = [
        today - dt.timedelta(days=today.weekday() + 7 * i) for i in reversed(range(PEOPLE_WEEKS))
    ]
    # Each week counted between its bounds (Monday midnight in the organization's time zone):
    # on SQLite, ``completed_at__date`` and ``TruncWeek`` call a Python function for every
    # finished task of the organization, seconds at a quarter of a million tasks.
    tz = ZoneInfo(actor.organization.time_zone or "Asia/Shanghai")
    bounds = [
        dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        for day in [*week_starts, week_starts[-1] + dt.timedelta(days=7)]
    ]
    per_week = {
        f"week_{i}": Count("id", filter=Q(completed_at__gte=low, completed_at__lt=high))
        for i, (low, high) in enumerate(itertools.pairwise(bounds))
    }
    weeks: dict[int, dict] = defaultdict(dict)
    for row in (
        visibility.visible_tasks(actor)
        .filter(
            status="done",
            completed_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz),
            assignee__isnull=False,
        )
        .values("assignee_id")
        .annotate(**per_week)
        .order_by()
    ):
        weeks[row["assignee_id"]] = {
            day.isoformat(): row[f"week_{i}"] for i, day in enumerate(week_starts)
        }
    pending = list(
        ApprovalRequest.objects.filter(
            organization_id=actor.organization.pk,
            status=ApprovalStatus.PENDING,
            project__in=visibility.visible_projects(actor).values("pk"),
        )
        .select_related("project")
        .prefetch_related("decisions")
    )
    deciders = list(
        Membership.objects.filter(organization_id=actor.organization.pk)
        .filter(Q(role__in=["admin", "reviewer", "manager"]) | Q(is_owner=True))
        .select_related("user", "organization")
    )
    waiting: Counter = Counter()
    for approval in pending:
        decided = {d.decided_by_id for d in approval.decisions.all()}
        for membership in deciders:
            if may_decide(Actor.from_membership(membership, via="system"), approval, decided):
                waiting[membership.user_id] += 1
    ids = set(load) | set(weeks) | set(waiting)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    week_starts = [day.isoformat() for day in week_starts]
    rows = [
        {
            "user_id": uid,
            "name": users[uid].display_name if uid in users else f"#{uid}",
            "open": load.get(uid, {}).get("open", 0),
            "overdue": load.get(uid, {}).get("overdue", 0),
            "finished_per_week": [weeks[uid].get(w, 0) for w in week_starts],
            "approvals_waiting": waiting.get(uid, 0),
        }
        for uid in ids
    ]
    rows.sort(key=lambda r: (-r["overdue"], -r["open"], r["name"]))
    return {"weeks": week_starts, "rows": rows}


def _opened_over_time(rows, f: Filters) -> list[dict]:
    """Openings per month of the period, and their running total."""
    per_month = Counter(r[6].replace(day=1) for r in rows if r[6])
    month, last = _months(f)
    series, total = [], 0
    while month <= last:
        total += per_month.get(month, 0)
        series.append(
            {"month": month.isoformat()[:7], "opened": per_month.get(month, 0), "total": total}
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return series


def report(*, actor: Actor, filters: Filters) -> dict:
    """Everything the report page and ``GET /reports`` show."""
    today = org_today(actor.organization)
    sites = {s.pk: s for s in Site.objects.select_related("platform")}
    platforms = {p.pk: p for p in Platform.objects.all()}
    rows = list(_facts(actor, filters))
    by_site: dict[int, list] = defaultdict(list)
    by_platform: dict[int, list] = defaultdict(list)
    for row in rows:
        by_site[row[0]].append(row)
        by_platform[row[1]].append(row)
    platform_rows = []
    for platform_id in sorted(by_platform, key=lambda pk: platforms[pk].position):
        platform = platforms[platform_id]
        site_rows = [
            {
                "site": sites[site_id].code,
                "name": sites[site_id].display_name,
                **_durations(by_site[site_id]),
            }
            for site_id in sorted(by_site, key=lambda pk: sites[pk].code)
            if sites[site_id].platform_id == platform_id
        ]
        platform_rows.append(
            {
                "platform": platform.code,
                "name": platform.display_name,
                **_durations(by_platform[platform_id]),
                "sites": site_rows,
            }
        )
    built = Rebuild.objects.filter(organization_id=actor.organization.pk).first()
    return {
        "period": {"start": filters.start, "end": filters.end},
        "built_at": built.built_at if built else None,
        "min_sample": rules.MIN_SAMPLE,
        "total": _durations(rows),
        "platforms": platform_rows,
        "opened_over_time": _opened_over_time(rows, filters),
        "bottlenecks": _bottlenecks(actor, filters, sites),
        "approvals": _approvals(actor, filters, sites),
        "people": _people(actor, today),
    }


def template_choices(actor: Actor) -> list[tuple[int, str]]:
    return [
        (t.pk, t.display_name)
        for t in Template.objects.filter(
            Q(organization__isnull=True) | Q(organization_id=actor.organization.pk)
        ).order_by("organization_id", "name")
    ]
