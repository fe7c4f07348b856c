"""LinkStar benchmark: wall time and SQL queries of the operations people wait for.

    .venv/bin/python bench/run.py                  # a fresh SQLite database in a temporary dir
    DATABASE_URL=postgres://... .venv/bin/python bench/run.py   # an existing PostgreSQL database
    .venv/bin/python bench/run.py --profile        # + where the 500 x 25 batch spends its time

Every figure is the median of several runs (--runs, default 7; the big batch --batch-runs,
default 3). Everything goes through the real services and the real API, as a user would.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import platform
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_TASKS = 25
LIST_TASKS = 2000
PAGE = 50
TAIGA = {
    "create": "111 ms / 192 q",
    "list": "32 ms / 4 q",
}


# --- measuring -------------------------------------------------------------------------------


@dataclass
class QueryLog:
    """Counts queries (cheaply, through ``execute_wrapper``) and the time spent in them per
    statement kind and table."""

    count: int = 0
    seconds: float = 0.0
    by_kind: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    kinds: Counter = field(default_factory=Counter)

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - start
            self.count += 1
            self.seconds += elapsed
            kind = _kind(sql)
            self.by_kind[kind] += elapsed
            self.kinds[kind] += 1


def _kind(sql: str) -> str:
    words = sql.lstrip().split(None, 1)
    verb = words[0].upper() if words else "?"
    match = re.search(r'(?:INTO|FROM|UPDATE)\s+"?(\w+)"?', sql, re.I)
    return f"{verb} {match.group(1) if match else ''}".strip()


@contextmanager
def counting():
    from django.db import connection

    log = QueryLog()
    with connection.execute_wrapper(log):
        yield log


@dataclass
class Result:
    name: str
    ms: list[float]
    cpu_ms: list[float]
    queries: list[int]
    taiga: str = ""
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)

    @property
    def median_queries(self) -> float:
        return statistics.median(self.queries)


def measure(name: str, runs: int, step: Callable[[int], Callable[[], object]], **extra) -> Result:
    """``step(i)`` prepares run ``i`` (untimed) and returns the call to time."""
    ms, cpu_ms, queries = [], [], []
    for i in range(runs):
        call = step(i)
        with counting() as log:
            cpu = time.process_time()
            start = time.perf_counter()
            call()
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
        ms.append(elapsed * 1000)
        cpu_ms.append(cpu * 1000)
        queries.append(log.count)
    return Result(name, ms, cpu_ms, queries, **extra)


# --- setting up ------------------------------------------------------------------------------


def configure(args) -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="linkstar-bench-"))
    os.environ["LINKSTAR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "linkstar.settings"
    os.environ.setdefault("LINKSTAR_LOG_LEVEL", "WARNING")
    src = Path(__file__).resolve().parents[1] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django

    django.setup()
    from django.conf import settings

    # Logins are made once; the hash cost is not what is measured here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return data_dir


def bootstrap() -> None:
    from django.core.management import call_command

    from linkstar.catalog.services import load_catalog
    from linkstar.playbooks.services import load_builtin_templates

    call_command("migrate", interactive=False, verbosity=0)
    load_catalog()
    load_builtin_templates()


@dataclass
class Org:
    org: object
    people: dict  # login -> User
    actors: dict  # login -> Actor
    entity: object


def make_org(slug: str) -> Org:
    from linkstar.accounts.models import Membership
    from linkstar.accounts.services import add_member, create_organization, create_user
    from linkstar.core.actors import Actor
    from linkstar.entities.services import create_entity

    password = "bench-password"
    alice = create_user(email=f"alice@{slug}.bench", password=password, name="Alice")
    org = create_organization(name=f"Bench {slug}", slug=slug, owner=alice)

    def actor(user):
        membership = Membership.objects.select_related("organization", "user").get(
            organization=org, user=user
        )
        return Actor.from_membership(membership, via="bench")

    people, actors = {"alice": alice}, {"alice": actor(alice)}
    for login, role in [
        ("bob", "manager"),
        ("carol", "operator"),
        ("dave", "reviewer"),
        ("erin", "reviewer"),
    ]:
        membership = add_member(
            actor=actors["alice"],
            email=f"{login}@{slug}.bench",
            role=role,
            name=login.title(),
            password=password,
        )
        people[login] = membership.user
        actors[login] = actor(membership.user)
    entity = create_entity(
        actor=actors["alice"],
        name="深圳市星河跨境电子商务有限公司",
        registration_number="91440300MA5G8XXXX1",
        legal_rep_name="张伟",
        legal_rep_id_number="440301198805120000",
    )
    return Org(org, people, actors, entity)


def template_of_25(bench: Org):
    """Clone the built-in Amazon North America template and pad or trim it to exactly 25 tasks,
    through the template services; one added task needs two approval levels and waits for
    nothing, so that approvals can be measured without walking the plan."""
    from linkstar.playbooks.models import Template
    from linkstar.playbooks.services import (
        blueprint_as_dict,
        create_template,
        publish_version,
        replace_draft_tasks,
    )

    admin = bench.actors["alice"]
    builtin = Template.objects.get(organization__isnull=True, key="amazon-na")
    template = create_template(actor=admin, name="Bench Amazon US (25)", clone_from=builtin)
    draft = template.versions.get(number=1)
    tasks = [blueprint_as_dict(bp) for bp in draft.blueprints.order_by("position")]
    tasks.insert(
        0,
        {
            "key": "bench-approval",
            "title": "主管确认开店计划 Plan sign-off",
            "phase": "documents",
            "offset_days": 0,
            "duration_days": 1,
            "depends_on": [],
            "role": "operator",
            "approval_levels": 2,
            "checklist": ["计划已核对"],
        },
    )
    while len(tasks) > TEMPLATE_TASKS:  # drop a task nothing depends on, from the end
        needed = {key for t in tasks for key in t["depends_on"]}
        victim = next(t for t in reversed(tasks) if t["key"] not in needed)
        tasks.remove(victim)
    n = 0
    while len(tasks) < TEMPLATE_TASKS:
        n += 1
        tasks.append(
            {
                "key": f"bench-extra-{n}",
                "title": f"上架后检查 {n} Post-launch check {n}",
                "phase": "launch",
                "offset_days": 30 + n,
                "duration_days": 2,
                "depends_on": [tasks[-1]["key"]],
                "role": "operator",
                "approval_levels": 0,
                "checklist": ["检查完成"],
            }
        )
    replace_draft_tasks(actor=admin, version=draft, tasks=tasks)
    publish_version(actor=admin, version=draft)
    assert draft.blueprints.count() == TEMPLATE_TASKS
    return template


# --- the benchmarks --------------------------------------------------------------------------


def bench_single_creation(bench: Org, template, runs: int) -> tuple[Result, list]:
    from linkstar.projects.services import create_project

    created = []

    def step(i):
        def call():
            created.append(
                create_project(
                    actor=bench.actors["bob"],
                    template_id=template.pk,
                    store_name=f"Single store {i}",
                    entity_id=bench.entity.pk,
                    members=[bench.people["carol"].pk],
                )
            )

        return call

    step(-1)()  # warm-up (imports, caches), not counted
    result = measure(
        f"(b) create 1 project from the {TEMPLATE_TASKS}-step template",
        runs,
        step,
        taiga=TAIGA["create"],
    )
    assert all(p.task_count == TEMPLATE_TASKS for p in created)
    return result, created


def bench_task_update(bench: Org, projects: list, runs: int) -> Result:
    from linkstar.projects.models import TaskStatus
    from linkstar.projects.services import update_task

    def step(i):
        task = projects[i].tasks.get(key="prepare-license")
        return lambda: update_task(
            actor=bench.actors["carol"], task=task, status=TaskStatus.IN_PROGRESS
        )

    return measure("(d) update 1 task status todo → in_progress", runs, step)


def bench_approvals(bench: Org, projects: list, runs: int) -> tuple[Result, Result]:
    from linkstar.approvals.models import ApprovalRequest
    from linkstar.approvals.services import decide_approval
    from linkstar.projects.models import TaskStatus
    from linkstar.projects.services import update_task

    carol = bench.actors["carol"]
    approvals = []
    for project in projects[:runs]:
        task = project.tasks.get(key="bench-approval")
        task = update_task(actor=carol, task=task, status=TaskStatus.IN_PROGRESS)
        task = update_task(actor=carol, task=task, status=TaskStatus.DONE)
        approvals.append(ApprovalRequest.objects.get(task=task))

    def level(login):
        def step(i):
            return lambda: decide_approval(
                actor=bench.actors[login], approval=approvals[i], decision="approve", comment="ok"
            )

        return step

    first = measure("(e) approve level 1 of 2", runs, level("dave"))
    last = measure("(e) approve level 2 of 2 (task done)", runs, level("erin"))
    for approval in approvals:
        approval.refresh_from_db()
        assert approval.status == "approved"
    return first, last


def bench_listing(runs: int) -> list[Result]:
    from django.test import Client

    from linkstar.accounts.services import issue_token
    from linkstar.projects.models import Task
    from linkstar.projects.services import ProjectRow, create_projects_batch

    slug = f"bench-list-{uuid.uuid4().hex[:6]}"
    bench = make_org(slug)
    template = template_of_25(bench)
    create_projects_batch(
        actor=bench.actors["bob"],
        template_id=template.pk,
        rows=[
            ProjectRow(
                store_name=f"List store {i}",
                entity_id=bench.entity.pk,
                members=[bench.people["carol"].pk],
            )
            for i in range(LIST_TASKS // TEMPLATE_TASKS)
        ],
        start_date=dt.date(2026, 1, 5),
    )
    assert Task.objects.filter(organization=bench.org).count() == LIST_TASKS

    results = []
    for login, who in [("alice", "admin"), ("carol", "operator")]:
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=bench.people[login])[1]}"}
        url = f"/api/v1/orgs/{slug}/tasks"
        client.get(url, {"limit": PAGE}, **headers)  # warm-up; stamps the token's last use
        for offset in (0, 950):

            def step(i, offset=offset, client=client, headers=headers, url=url):
                def call():
                    response = client.get(url, {"limit": PAGE, "offset": offset}, **headers)
                    assert response.status_code == 200, response.content[:300]
                    body = response.json()
                    assert body["count"] == LIST_TASKS and len(body["items"]) == PAGE

                return call

            results.append(
                measure(
                    f"(c) GET /tasks limit {PAGE} offset {offset} of {LIST_TASKS} ({who})",
                    runs,
                    step,
                    taiga=TAIGA["list"],
                )
            )
    return results


def bench_batch(bench: Org, template, runs: int, size: int) -> tuple[Result, QueryLog]:
    from linkstar.projects.models import StoreProject
    from linkstar.projects.services import ProjectRow, create_projects_batch

    total = QueryLog()

    def step(i):
        rows = [
            ProjectRow(
                store_name=f"Batch {i} store {j}",
                entity_id=bench.entity.pk,
                members=[bench.people["carol"].pk],
            )
            for j in range(size)
        ]

        def call():
            from django.db import connection

            with connection.execute_wrapper(total):
                projects = create_projects_batch(
                    actor=bench.actors["bob"], template_id=template.pk, rows=rows
                )
            assert len(projects) == size

        return call

    result = measure(
        f"(a) batch: {size} projects x {TEMPLATE_TASKS} tasks",
        runs,
        step,
        note=f"{size * TEMPLATE_TASKS:,} tasks",
    )
    assert StoreProject.objects.filter(organization=bench.org, store_name__startswith="Batch ")
    return result, total


def profile_batch(bench: Org, template, size: int) -> None:
    from linkstar.projects.services import ProjectRow, create_projects_batch

    rows = [
        ProjectRow(
            store_name=f"Profiled store {j}",
            entity_id=bench.entity.pk,
            members=[bench.people["carol"].pk],
        )
        for j in range(size)
    ]
    profiler = cProfile.Profile()
    profiler.enable()
    create_projects_batch(actor=bench.actors["bob"], template_id=template.pk, rows=rows)
    profiler.disable()
    print(f"\n--- cProfile of one {size} x {TEMPLATE_TASKS} batch (top 25 by cumulative time) ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print("--- top 15 by own time ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# --- report ----------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    name_width = max(len(r.name) for r in results)
    header = (
        f"{'operation':<{name_width}}  {'runs':>4}  {'median ms':>10}  {'min ms':>9}  "
        f"{'max ms':>9}  {'cpu ms':>8}  {'queries':>7}  {'Taiga':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        queries = f"{r.median_queries:.0f}" + ("" if len(set(r.queries)) == 1 else "~")
        print(
            f"{r.name:<{name_width}}  {len(r.ms):>4}  {r.median_ms:>10.1f}  {min(r.ms):>9.1f}  "
            f"{max(r.ms):>9.1f}  {statistics.median(r.cpu_ms):>8.1f}  {queries:>7}  "
            f"{r.taiga:>15}" + (f"  {r.note}" if r.note else "")
        )


def print_sql_breakdown(log: QueryLog, runs: int, wall_ms: float) -> None:
    per_run = log.seconds * 1000 / runs
    print(
        f"\nWhere a batch's time goes (mean of {runs} runs): {wall_ms:.0f} ms wall, of which "
        f"{per_run:.0f} ms inside SQL ({log.count / runs:.0f} statements), "
        f"{wall_ms - per_run:.0f} ms in Python (model instances, compiling the INSERTs, the chain)."
    )
    for kind, seconds in sorted(log.by_kind.items(), key=lambda kv: -kv[1])[:10]:
        print(
            f"  {kind:<45} {log.kinds[kind] / runs:>6.0f} statements  "
            f"{seconds * 1000 / runs:>8.1f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each small operation (≥5)")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of the big batch (≥3)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="cProfile one more big batch")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    runs, batch_runs = max(args.runs, 5), max(args.batch_runs, 3)

    data_dir = configure(args)
    from django.db import connection

    try:
        started = time.perf_counter()
        bootstrap()
        bench = make_org(f"bench-{uuid.uuid4().hex[:6]}")
        template = template_of_25(bench)
        setup_s = time.perf_counter() - started
        db = connection.vendor
        if db == "sqlite":
            import sqlite3

            db += f" {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
        print(
            f"LinkStar benchmark — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n"
            f"Python {platform.python_version()}, Django {__import__('django').get_version()}, "
            f"{db}, {os.cpu_count()} CPUs, {platform.machine()}; setup {setup_s:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f}"
        )

        results = []
        single, projects = bench_single_creation(bench, template, runs)
        results.append(single)
        results.append(bench_task_update(bench, projects, runs))
        results.extend(bench_approvals(bench, projects, runs))
        results.extend(bench_listing(runs))
        batch, batch_log = bench_batch(bench, template, batch_runs, args.batch_size)
        results.append(batch)

        print(
            f"\nms: wall time, median of the runs; cpu ms: this process's CPU time (less "
            f"sensitive to other load; SQLite works in-process, PostgreSQL does not); load "
            f"average now {os.getloadavg()[0]:.1f}."
        )
        print_table(results)
        print_sql_breakdown(batch_log, batch_runs, statistics.mean(batch.ms))
        per_project = batch.median_ms / args.batch_size
        target = "met" if batch.median_ms < 5000 else "MISSED"
        print(
            f"\nBatch: {per_project:.2f} ms per project, "
            f"{batch.median_ms / (args.batch_size * TEMPLATE_TASKS) * 1000:.0f} µs per task; "
            f"target 500 x 25 under 5 s: {target}."
        )
        print(
            f"Taiga reference: 111 ms / 192 queries to create a project from a template "
            f"(LinkStar {single.median_ms:.0f} ms / {single.median_queries:.0f}); "
            f"32 ms / 4 queries to list 50 tasks "
            f"(LinkStar {results[4].median_ms:.0f} ms / {results[4].median_queries:.0f} at offset 0)."
        )
        if args.profile:
            profile_batch(bench, template, args.batch_size)
    finally:
        connection.close()
        if args.keep:
            print(f"\ndata kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
