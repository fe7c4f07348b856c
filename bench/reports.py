"""LinkStar reports benchmark (issue 16): the cost of the nightly rebuild and of the report page
at 2,000 and 10,000 projects, and how well the forecasts of openings hit.

    .venv/bin/python bench/reports.py                          # fresh SQLite in a temporary dir
    .venv/bin/python bench/reports.py --sizes 2000 --runs 5
    .venv/bin/python bench/reports.py --profile                # + cProfile of one report GET
    DATABASE_URL=postgres://... .venv/bin/python bench/reports.py   # a scratch PostgreSQL database

Cost. For each size an organization (run.py's helpers: alice the admin, bob, carol, dave, erin;
two more managers, three more operators, six seller entities) gets N projects x 25 tasks of
history written with bulk inserts (the services would take minutes to replay it): projects
started over the last 18 months on ten sites of seven platforms, from each site's built-in
template (padded to 25 tasks); their stage changes drawn per site (lognormal days to submission
and to the platform's answer, needs-info round trips, rejections and re-submissions, a few
cancellations; what would happen after today is not written); tasks finished around their due
dates with step-dependent overruns; approval requests and decisions on the finished tasks that
need them, and pending ones on some running tasks. Then it times ``rebuild_organization`` (the
nightly job) and the report page ``/o/<org>/reports/`` for the admin through
``django.test.Client`` (one warm-up GET, then the median and 90th percentile of --runs GETs), and
counts the page's SQL queries.

Forecast quality. Another organization, whose projects' days to opening follow a known lognormal
per site (a submission part-way, some needs-info round trips), started over 18 months. "Today"
is frozen in the middle: the projects started by then are written with only the stage changes
up to that day, ``rebuild_organization`` forecasts the open ones, then the later stage changes
are written and every forecast is compared with the real opening: the share opened on or before
the 80 % date and the 50 % date, per basis (site, platform, plan) and per segment (still
preparing, or submitted). Two sites make the other bases: TikTok Shop UK started only two months
before today (its platform has another site with history), Temu US too (no other Temu site: the
plan). The projects started after "today" play no part and are not written.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import math
import os
import platform
import pstats
import random
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import bootstrap, configure, counting, make_org

TASKS = 25
HISTORY_DAYS = 540  # ~18 months of project starts
SLOW_MS = 300.0
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK = 500  # projects written per bulk insert round


@dataclass(frozen=True)
class SiteLife:
    """How projects of one site live: lognormal days to submission and from submission to the
    platform's answer (median, sigma), the chance of a needs-info round trip and of a rejection."""

    site: str
    template: str  # the built-in template's key
    weight: float
    submit: tuple[float, float]
    review: tuple[float, float]
    needs_info: float = 0.25
    rejected: float = 0.08


COST_SITES = [
    SiteLife("amazon-us", "amazon-na", 3.0, (25, 0.35), (30, 0.5), 0.30, 0.10),
    SiteLife("amazon-ca", "amazon-na", 1.0, (25, 0.35), (35, 0.5), 0.25, 0.08),
    SiteLife("amazon-de", "amazon-eu", 2.0, (30, 0.35), (45, 0.5), 0.35, 0.10),
    SiteLife("amazon-uk", "amazon-eu", 1.5, (30, 0.35), (40, 0.5), 0.30, 0.08),
    SiteLife("amazon-jp", "amazon-jp", 1.0, (35, 0.4), (60, 0.5), 0.40, 0.12),
    SiteLife("ebay-us", "ebay", 1.5, (15, 0.4), (10, 0.6), 0.10, 0.05),
    SiteLife("walmart-us", "walmart-us", 1.0, (30, 0.4), (50, 0.6), 0.30, 0.20),
    SiteLife("shopee-my", "shopee-cb", 1.5, (12, 0.4), (14, 0.5), 0.15, 0.05),
    SiteLife("tiktok-shop-uk", "tiktok-shop-cb", 1.0, (14, 0.4), (20, 0.6), 0.20, 0.10),
    SiteLife("temu-us", "temu", 1.0, (10, 0.4), (12, 0.5), 0.10, 0.05),
]


def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, round(rng.lognormvariate(math.log(median), sigma)))


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@contextmanager
def keeping_timestamps(*models):
    """Let bulk inserts write created_at/updated_at of the past (auto_now(_add) off)."""
    saved = []
    for model in models:
        for name in ("created_at", "updated_at"):
            field = model._meta.get_field(name)
            saved.append((field, field.auto_now, field.auto_now_add))
            field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def cost_life(rng: random.Random, life: SiteLife, start: dt.date) -> list[tuple[str, dt.date]]:
    """One project's stage changes (stage, day), whether in the past or not."""
    if rng.random() < 0.03:  # given up while preparing
        return [("cancelled", start + dt.timedelta(days=rng.randint(5, 60)))]
    day = start + dt.timedelta(days=_lognormal(rng, *life.submit))
    moves = [("under_review", day)]
    for _attempt in range(2):
        while rng.random() < life.needs_info * (0.5 if len(moves) > 2 else 1):
            day += dt.timedelta(days=_lognormal(rng, life.review[0] / 2, 0.5))
            moves.append(("needs_info", day))
            day += dt.timedelta(days=_lognormal(rng, 5, 0.5))
            moves.append(("under_review", day))
        day += dt.timedelta(days=_lognormal(rng, *life.review))
        if rng.random() >= life.rejected:
            moves.append(("opened", day))
            return moves
        moves.append(("rejected", day))
        if rng.random() < 0.5:
            return moves  # left rejected
        day += dt.timedelta(days=_lognormal(rng, 10, 0.5))
        moves.append(("under_review", day))
    return moves


# --- the organizations -----------------------------------------------------------------------


@dataclass
class Built:
    org: object
    slug: str
    admin: object
    counts: dict
    seconds: float


def _templates(keys: set[str]) -> dict:
    """key -> (published version, its blueprints padded to TASKS)."""
    from linkstar.playbooks.models import TaskBlueprint, Template, TemplateVersion

    out = {}
    for template in Template.objects.filter(organization__isnull=True, key__in=keys):
        version = (
            TemplateVersion.objects.filter(template=template, status="published")
            .order_by("-number")
            .first()
        )
        steps = [
            (bp.key, bp.title, bp.phase, bp.role, bp.offset_days, bp.duration_days,
             bp.approval_levels)
            for bp in TaskBlueprint.objects.filter(template_version=version).order_by("position")
        ][:TASKS]  # fmt: skip
        last = max(o + d for _k, _t, _p, _r, o, d, _a in steps)
        n = 0
        while len(steps) < TASKS:
            n += 1
            steps.append(
                (f"post-launch-{n}", f"上架后检查 {n}", "launch", "operator", last + n, 2, 0)
            )
        out[template.key] = (version, steps)
    return out


def _people(bench) -> tuple[list[int], list[int], list[int]]:
    from linkstar.accounts.services import add_member
    from linkstar.entities.services import create_entity

    admin = bench.actors["alice"]
    managers, operators = [bench.people["bob"].pk], [bench.people["carol"].pk]
    for login, role, group in [
        ("mona", "manager", managers),
        ("max", "manager", managers),
        ("olga", "operator", operators),
        ("oscar", "operator", operators),
        ("otto", "operator", operators),
    ]:
        membership = add_member(
            actor=admin,
            email=f"{login}@{bench.org.slug}.bench",
            role=role,
            name=login.title(),
            password="bench-password",
        )
        group.append(membership.user_id)
    entities = [bench.entity.pk] + [
        create_entity(
            actor=admin, name=f"客户公司 {n} 有限公司", registration_number=f"9144{n:014d}X"
        ).pk
        for n in range(5)
    ]
    return managers, operators, entities


def build_cost_org(n_projects: int, seed: int) -> Built:
    """An organization with n_projects x 25 tasks of history, by bulk inserts."""
    from django.db import transaction

    from linkstar.approvals.models import ApprovalDecision, ApprovalRequest
    from linkstar.catalog.models import Site
    from linkstar.core import clock
    from linkstar.projects.models import StageChange, StoreProject, Task

    started = time.perf_counter()
    slug = f"bench-rep-{n_projects}-{uuid.uuid4().hex[:4]}"
    bench = make_org(slug)
    managers, operators, entities = _people(bench)
    dave, erin = bench.people["dave"].pk, bench.people["erin"].pk
    templates = _templates({life.template for life in COST_SITES})
    sites = {s.code: s.pk for s in Site.objects.filter(code__in=[x.site for x in COST_SITES])}
    rng = random.Random(seed)
    now = clock.now()
    today = clock.org_today(bench.org)
    # each step's overrun: steps 3, 8, 13 ... run late by a few days (the bottlenecks)
    late = {i: (3 + i % 4 * 2 if i % 5 == 3 else 0) for i in range(TASKS)}
    counts: Counter = Counter()
    weights = [life.weight for life in COST_SITES]

    with transaction.atomic(), keeping_timestamps(StoreProject, Task, ApprovalRequest):
        for first in range(0, n_projects, CHUNK):
            size = min(CHUNK, n_projects - first)
            lives, projects = [], []
            for i in range(first, first + size):
                life = rng.choices(COST_SITES, weights)[0]
                start = today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
                version, steps = templates[life.template]
                plan_days = max(o + d for _k, _t, _p, _r, o, d, _a in steps)
                moves = [(s, d) for s, d in cost_life(rng, life, start) if d <= today]
                stage = moves[-1][0] if moves else "preparing"
                created = _at(start, 9)
                projects.append(
                    StoreProject(
                        organization=bench.org,
                        code=f"R{n_projects}-{i:06d}",
                        store_name=f"Bench store {i}",
                        site_id=sites[life.site],
                        entity_id=entities[i % len(entities)],
                        manager_id=managers[i % len(managers)],
                        template_version=version,
                        start_date=start,
                        planned_finish=start + dt.timedelta(days=plan_days),
                        stage=stage,
                        stage_changed_at=_at(moves[-1][1]) if moves else None,
                        created_by_id=managers[i % len(managers)],
                        created_at=created,
                        updated_at=_at(moves[-1][1]) if moves else created,
                        task_count=TASKS,
                    )
                )
                lives.append((start, moves, steps))
            projects = StoreProject.objects.bulk_create(projects)
            changes, tasks, approvals = [], [], []
            for project, (start, moves, steps) in zip(projects, lives, strict=True):
                previous = "preparing"
                for stage, day in moves:
                    changes.append(
                        StageChange(
                            project_id=project.pk,
                            from_stage=previous,
                            to_stage=stage,
                            actor_id=project.manager_id,
                            at=_at(day),
                        )
                    )
                    previous = stage
                opened = project.stage == "opened"
                stopped = project.stage in ("cancelled",)
                finished = 0
                for n, (key, title, phase, role, offset, duration, levels) in enumerate(steps):
                    begin = start + dt.timedelta(days=offset)
                    due = begin + dt.timedelta(days=duration)
                    began = _at(begin, 10) + dt.timedelta(hours=rng.gauss(12, 24))
                    done = _at(due, 16) + dt.timedelta(days=rng.gauss(late[n], 2 + late[n] / 2))
                    done = max(done, began + dt.timedelta(hours=1))
                    if opened or done <= now:
                        status = "done"
                    elif began <= now and not stopped:
                        status = "in_progress"
                    else:
                        status = "todo"
                    if opened and done > now:
                        done = now - dt.timedelta(hours=rng.randint(1, 500))
                        began = min(began, done - dt.timedelta(hours=1))
                    pending = status == "in_progress" and levels and rng.random() < 0.3
                    task = Task(
                        organization=bench.org,
                        project_id=project.pk,
                        key=key,
                        position=n,
                        title=title,
                        phase=phase,
                        role=role,
                        status="awaiting_approval" if pending else status,
                        assignee_id=rng.choice(operators) if rng.random() < 0.85 else None,
                        start_date=begin,
                        due_date=due,
                        approval_levels=levels,
                        started_at=began if status != "todo" else None,
                        completed_at=done if status == "done" else None,
                        created_at=project.created_at,
                        updated_at=done if status == "done" else project.created_at,
                    )
                    finished += status == "done"
                    tasks.append(task)
                    if levels and (status == "done" or pending):
                        approvals.append((task, levels, status == "done", done))
                project.finished_task_count = finished
            StageChange.objects.bulk_create(changes)
            Task.objects.bulk_create(tasks)
            requests, decisions = [], []
            for task, levels, decided, done in approvals:
                hours = [
                    rng.lognormvariate(math.log(10 * (level + 1)), 0.8) for level in range(levels)
                ]
                asked = (
                    done - dt.timedelta(hours=sum(hours))
                    if decided
                    else now - dt.timedelta(hours=hours[0] + rng.uniform(0, 48))
                )
                requests.append(
                    ApprovalRequest(
                        organization=bench.org,
                        task_id=task.pk,
                        project_id=task.project_id,
                        levels=levels,
                        current_level=levels if decided else 1,
                        status="approved" if decided else "pending",
                        requested_by_id=task.assignee_id,
                        decided_at=done if decided else None,
                        created_at=asked,
                        updated_at=done if decided else asked,
                    )
                )
                decisions.append((asked, hours if decided else []))
            requests = ApprovalRequest.objects.bulk_create(requests)
            rows = []
            for request, (asked, hours) in zip(requests, decisions, strict=True):
                at = asked
                for level, h in enumerate(hours, start=1):
                    at += dt.timedelta(hours=h)
                    rows.append(
                        ApprovalDecision(
                            request_id=request.pk,
                            level=level,
                            decided_by_id=dave if level % 2 else erin,
                            decision="approve",
                            at=at,
                        )
                    )
            ApprovalDecision.objects.bulk_create(rows)
            StoreProject.objects.bulk_update(projects, ["finished_task_count"])
            counts["projects"] += len(projects)
            counts["tasks"] += len(tasks)
            counts["stage changes"] += len(changes)
            counts["approvals"] += len(requests)
            counts["pending approvals"] += sum(1 for r in requests if r.status == "pending")
            counts["decisions"] += len(rows)
            for project in projects:
                counts[project.stage] += 1
    return Built(bench.org, slug, bench.people["alice"], counts, time.perf_counter() - started)


# --- cost ------------------------------------------------------------------------------------


@dataclass
class Cost:
    projects: int
    tasks: int
    build_s: float
    rebuild_s: float
    rebuild_queries: int
    ms: list[float]
    queries: list[int]
    sql_ms: list[float]
    kb: float


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    body = response.content.decode()
    assert 'id="forbidden"' not in body and "<h1>500</h1>" not in body, f"{url}: error page"
    return response


def measure_cost(n_projects: int, runs: int, profile: bool, seed: int) -> Cost:
    from django.test import Client

    from linkstar.reports.facts import rebuild_organization
    from linkstar.reports.models import ProjectFact

    built = build_cost_org(n_projects, seed)
    with counting() as log:
        started = time.perf_counter()
        rebuild_organization(built.org)
        rebuild_s = time.perf_counter() - started
    assert ProjectFact.objects.filter(organization=built.org).count() == n_projects
    print(
        f"\n{n_projects:,} projects built in {built.seconds:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in built.counts.items())
    )
    client = Client()
    client.force_login(built.admin)
    url = f"/o/{built.slug}/reports/"
    response = _get(client, url)  # warm-up
    ms, queries, sql_ms = [], [], []
    for _ in range(runs):
        with counting() as page_log:
            started = time.perf_counter()
            _get(client, url)
            ms.append((time.perf_counter() - started) * 1000)
        queries.append(page_log.count)
        sql_ms.append(page_log.seconds * 1000)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        print(f"\n--- cProfile of {url} at {n_projects:,} projects: top 25 by cumulative ---")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print("--- top 15 by own time ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return Cost(
        n_projects,
        built.counts["tasks"],
        built.seconds,
        rebuild_s,
        log.count,
        ms,
        queries,
        sql_ms,
        len(response.content) / 1024,
    )


def print_costs(costs: list[Cost], runs: int) -> None:
    print(
        f"\nNightly rebuild (rebuild_organization) and GET /o/<org>/reports/ as the admin "
        f"(default period: the last 12 months), one warm-up then {runs} runs. Load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}.\n"
    )
    header = (
        f"{'projects':>8}  {'tasks':>8}  {'build s':>7}  {'rebuild s':>9}  {'rebuild q':>9}  "
        f"{'median ms':>9}  {'p90 ms':>7}  {'sql ms':>7}  {'queries':>7}  {'KB':>5}"
    )
    print(header)
    print("-" * len(header))
    for c in costs:
        p90 = statistics.quantiles(c.ms, n=10)[-1] if len(c.ms) > 1 else c.ms[0]
        q = f"{statistics.median(c.queries):.0f}" + ("" if len(set(c.queries)) == 1 else "~")
        print(
            f"{c.projects:>8,}  {c.tasks:>8,}  {c.build_s:>7.1f}  {c.rebuild_s:>9.1f}  "
            f"{c.rebuild_queries:>9,}  {statistics.median(c.ms):>9.1f}  {p90:>7.1f}  "
            f"{statistics.median(c.sql_ms):>7.1f}  {q:>7}  {c.kb:>5.0f}"
        )
    slow = [c for c in costs if statistics.median(c.ms) > SLOW_MS]
    if slow:
        print(
            f"Over {SLOW_MS:.0f} ms: "
            + ", ".join(f"{c.projects:,} projects" for c in slow)
            + " (--profile shows where the time goes)"
        )


# --- forecast quality ------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A site whose days from start to opening are lognormal(median, sigma); ``since`` limits
    its starts to the last days before "today" (a site the organization has only just begun)."""

    site: str
    template: str
    weight: float
    median: float
    sigma: float
    since: int | None = None


FORECAST_SITES = [
    Known("amazon-us", "amazon-na", 3.0, 75, 0.40),
    Known("amazon-de", "amazon-eu", 2.0, 110, 0.35),
    Known("ebay-us", "ebay", 2.0, 40, 0.50),
    Known("walmart-us", "walmart-us", 1.0, 95, 0.45),
    Known("shopee-my", "shopee-cb", 2.0, 55, 0.40),
    Known("tiktok-shop-my", "tiktok-shop-cb", 1.5, 50, 0.40),
    Known("tiktok-shop-uk", "tiktok-shop-cb", 0.15, 70, 0.40, since=60),
    Known("temu-us", "temu", 0.1, 45, 0.50, since=50),
]
PLAN_DAYS = 60


def known_life(rng: random.Random, known: Known, start: dt.date) -> list[tuple[str, dt.date]]:
    """Opening after a lognormal number of days; submission part-way (35–65 %), and on a quarter
    of the projects a needs-info round trip in between."""
    total = max(3, round(rng.lognormvariate(math.log(known.median), known.sigma)))
    submit = max(1, min(total - 2, round(total * rng.uniform(0.35, 0.65))))
    moves = [("under_review", start + dt.timedelta(days=submit))]
    if total - submit >= 4 and rng.random() < 0.25:
        asked = submit + rng.randint(1, total - submit - 2)
        moves.append(("needs_info", start + dt.timedelta(days=asked)))
        back = rng.randint(asked + 1, total - 1)
        moves.append(("under_review", start + dt.timedelta(days=back)))
    moves.append(("opened", start + dt.timedelta(days=total)))
    return moves


@dataclass
class KnownHistory:
    org: object
    today: dt.date
    sites: dict  # code -> pk
    projects: list  # the projects started by "today"
    lives: list  # their stage changes (stage, day), past and future


def write_known_history(n_projects: int, seed: int) -> KnownHistory:
    """The projects started by "today" (in the middle of 18 months), without their changes."""
    from linkstar.catalog.models import Site
    from linkstar.core import clock
    from linkstar.projects.models import StoreProject

    bench = make_org(f"bench-fc-{uuid.uuid4().hex[:4]}")
    templates = _templates({k.template for k in FORECAST_SITES})
    sites = {s.code: s.pk for s in Site.objects.filter(code__in=[k.site for k in FORECAST_SITES])}
    rng = random.Random(seed)
    first = clock.org_today(bench.org) - dt.timedelta(days=HISTORY_DAYS)
    today = first + dt.timedelta(days=HISTORY_DAYS // 2)
    weights = [k.weight for k in FORECAST_SITES]
    projects, lives = [], []
    for i in range(n_projects):
        known = rng.choices(FORECAST_SITES, weights)[0]
        span = known.since or HISTORY_DAYS
        start = (
            today - dt.timedelta(days=rng.randint(0, span - 1))
            if known.since
            else (first + dt.timedelta(days=rng.randint(0, span - 1)))
        )
        if start > today:
            continue  # not started yet on "today": plays no part
        moves = known_life(rng, known, start)
        past = [(s, d) for s, d in moves if d <= today]
        projects.append(
            StoreProject(
                organization=bench.org,
                code=f"F-{i:06d}",
                store_name=f"Forecast store {i}",
                site_id=sites[known.site],
                entity_id=bench.entity.pk,
                manager_id=bench.people["bob"].pk,
                template_version=templates[known.template][0],
                start_date=start,
                planned_finish=start + dt.timedelta(days=PLAN_DAYS),
                stage=past[-1][0] if past else "preparing",
            )
        )
        lives.append(moves)
    projects = StoreProject.objects.bulk_create(projects, batch_size=1000)

    return KnownHistory(bench.org, today, sites, projects, lives)


def stage_changes(history: KnownHistory, keep) -> list:
    from linkstar.projects.models import StageChange

    rows = []
    for project, moves in zip(history.projects, history.lives, strict=True):
        previous = "preparing"
        for stage, day in moves:
            if keep(day):
                rows.append(
                    StageChange(
                        project_id=project.pk, from_stage=previous, to_stage=stage, at=_at(day)
                    )
                )
            previous = stage
    return rows


def forecast_quality(n_projects: int, seed: int) -> None:
    from django.db.models import Min

    from linkstar.catalog.models import Site
    from linkstar.core import clock
    from linkstar.projects.models import StageChange
    from linkstar.reports.facts import project_forecast, rebuild_organization
    from linkstar.reports.models import ProjectFact

    started = time.perf_counter()
    history = write_known_history(n_projects, seed)
    org, today, sites, projects = history.org, history.today, history.sites, history.projects
    StageChange.objects.bulk_create(
        stage_changes(history, lambda day: day <= today), batch_size=2000
    )
    with clock.frozen_at(_at(today, 20)):
        assert clock.org_today(org) == today
        rebuild_started = time.perf_counter()
        rebuild_organization(org)
        rebuild_s = time.perf_counter() - rebuild_started
    facts = list(
        ProjectFact.objects.filter(organization=org)
        .exclude(forecast_basis="")
        .values(
            "project_id",
            "site_id",
            "platform_id",
            "stage",
            "status",
            "start_date",
            "submitted_on",
            "planned_finish",
            "forecast_basis",
            "forecast_p50",
            "forecast_p80",
        )
    )
    # the future, now known
    StageChange.objects.bulk_create(
        stage_changes(history, lambda day: day > today), batch_size=2000
    )
    opened = {
        project_id: at.astimezone(SHANGHAI).date()
        for project_id, at in StageChange.objects.filter(
            project__organization=org, to_stage="opened"
        )
        .values("project_id")
        .annotate(day=Min("at"))
        .values_list("project_id", "day")
    }
    # the same rule fed the complete history (every opening of these projects, also the later
    # ones): what is left is the rule's own error, not the openings not yet known that day
    platform_of = dict(Site.objects.filter(pk__in=sites.values()).values_list("pk", "platform_id"))
    complete = []
    for project, moves in zip(projects, history.lives, strict=True):
        submitted = next(d for s, d in moves if s in ("under_review", "needs_info"))
        complete.append(
            (
                project.pk,
                project.site_id,
                platform_of[project.site_id],
                project.start_date,
                submitted,
                opened[project.pk],
            )
        )
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    by_site: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def count(cell, day, p50, p80):
        cell[0] += 1
        cell[1] += day <= p80
        cell[2] += day <= p50

    for fact in facts:
        day = opened[fact["project_id"]]
        basis, p50, p80 = fact["forecast_basis"], fact["forecast_p50"], fact["forecast_p80"]
        segment = "preparing" if fact["stage"] == "preparing" else "submitted"
        for key in [(basis, "all"), (basis, segment), ("all", "all"), ("all", segment)]:
            count(table[key], day, p50, p80)
        if basis == "site":
            count(by_site[fact["site_id"]], day, p50, p80)
        oracle = project_forecast(fact, complete, today)
        for key in [("complete", "all"), ("complete", segment)]:
            count(table[key], day, oracle.p50, oracle.p80)
    print(
        f"\nForecast quality: {len(projects):,} projects started by {today} (18 months of "
        f'starts, "today" in the middle), {len(facts):,} of them still open that day; '
        f"built in {time.perf_counter() - started - rebuild_s:.1f} s, rebuild under the frozen "
        f"clock {rebuild_s:.1f} s. Opened on or before the forecast's date, later:\n"
    )
    header = (
        f"{'basis':<9}  {'segment':<10}  {'projects':>8}  {'≤ 80 % date':>12}  {'≤ 50 % date':>12}"
    )
    print(header)
    print("-" * len(header))
    for basis in ["site", "platform", "plan", "all", "complete"]:
        if basis == "complete":
            print("same rule, complete history (openings after that day included):")
        for segment in ("all", "preparing", "submitted"):
            n, hit80, hit50 = table.get((basis, segment), (0, 0, 0))
            if n:
                print(
                    f"{basis:<9}  {segment:<10}  {n:>8}  {hit80:>5} {100 * hit80 / n:>5.1f} %"
                    f"  {hit50:>5} {100 * hit50 / n:>5.1f} %"
                )
    code_of = {pk: code for code, pk in sites.items()}
    median_of = {k.site: k.median for k in FORECAST_SITES}
    print(
        "site basis per site (median days to opening; ≤ 80 %, ≤ 50 %): "
        + "; ".join(
            f"{code_of[pk]} ({median_of[code_of[pk]]:.0f} d) n={n}: {100 * h80 / n:.0f} %, "
            f"{100 * h50 / n:.0f} %"
            for pk, (n, h80, h50) in sorted(by_site.items(), key=lambda kv: code_of[kv[0]])
        )
    )


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000", help="projects per organization")
    parser.add_argument("--runs", type=int, default=10, help="timed GETs of the report (≥3)")
    parser.add_argument("--forecast-projects", type=int, default=4000, help="over 18 months")
    parser.add_argument("--profile", action="store_true", help="cProfile one report GET")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    runs = max(args.runs, 3)

    data_dir = configure(args)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    hosts = settings.ALLOWED_HOSTS
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=hosts if "*" in hosts or "testserver" in hosts else [*hosts, "testserver"],
    ).enable()
    try:
        started = time.perf_counter()
        bootstrap()
        db = connection.vendor
        if db == "sqlite":
            import sqlite3

            db += f" {sqlite3.sqlite_version}"
        print(
            f"LinkStar reports benchmark — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n"
            f"Python {platform.python_version()}, Django {__import__('django').get_version()}, "
            f"{db}, {os.cpu_count()} CPUs, {platform.machine()}; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        costs = [measure_cost(n, runs, args.profile, args.seed + n) for n in sizes]
        print_costs(costs, runs)
        if args.forecast_projects:
            forecast_quality(args.forecast_projects, args.seed)
        print(f"\nWhole run {time.perf_counter() - started:.0f} s.")
    finally:
        connection.close()
        if args.keep:
            print(f"\ndata kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
