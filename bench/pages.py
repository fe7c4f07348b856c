"""LinkStar page benchmark: server time and SQL queries of every main web page, 5,000 projects.

    .venv/bin/python bench/pages.py                          # fresh SQLite in a temporary dir
    .venv/bin/python bench/pages.py --projects 1000 --runs 5
    .venv/bin/python bench/pages.py --profile                # + cProfile of the slow pages
    DATABASE_URL=postgres://... .venv/bin/python bench/pages.py   # a scratch PostgreSQL database

The organization is built through the real services (as bench/run.py does): admin, manager,
operator, two reviewers, auditor, three seller entities, N projects from the built-in
"amazon-na" template in batches of 500 with start dates spread over the last 90 days (the last
batch on a newer version of the template, so the template page lists outdated projects), a few
hundred stage moves, task work and pending approvals. Each page is then fetched with
django.test.Client (a real session login, the whole middleware stack): one warm-up GET, then the
median of --runs GETs; every answer must be a 200 HTML page, not an error or a "not allowed" page.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from run import Result, bootstrap, configure, counting, make_org, measure

BATCH = 500
TEMPLATE_KEY = "amazon-na"
SPREAD_DAYS = 90
SLOW_MS = 300.0


# --- the organization ------------------------------------------------------------------------


@dataclass
class World:
    slug: str
    people: dict
    project_id: int  # the project whose pages are measured (stage moves, task work, comments)
    task_id: int  # its document review task (approval decided, comments)
    template_id: int  # the built-in amazon-na
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _step(timings: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = now - started
    return now


def _bump_builtin_template() -> None:
    """Publish a v2 of the built-in amazon-na through the loader of shipped templates (a changed
    file becomes a new published version), so that projects made before are on an older one."""
    from linkstar.playbooks.services import BUILTIN_DIR, load_builtin_templates

    data = json.loads((BUILTIN_DIR / f"{TEMPLATE_KEY}.json").read_text(encoding="utf-8"))
    data["tasks"][-1]["title"] += " (v2)"
    folder = Path(tempfile.mkdtemp(prefix="linkstar-bench-tpl-"))
    try:
        (folder / f"{TEMPLATE_KEY}.json").write_text(
            json.dumps(data, ensure_ascii=False), encoding="utf-8"
        )
        outcome = load_builtin_templates(directory=folder)
        assert outcome[TEMPLATE_KEY].startswith("updated"), outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pass_compliance_gates(org, entities) -> None:
    from django.utils import timezone

    from linkstar.catalog.models import DocumentType
    from linkstar.compliance.models import AssociationRisk, RiskStatus
    from linkstar.documents.models import Document

    Document.objects.bulk_create(
        Document(organization=org, entity=entity, document_type=doc_type, notes="bench")
        for entity in entities
        for doc_type in DocumentType.objects.all()
    )
    AssociationRisk.objects.filter(organization=org).update(
        status=RiskStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(), reason="bench"
    )


def build_world(n_projects: int) -> World:
    from linkstar.accounts.services import add_member
    from linkstar.approvals.models import ApprovalRequest, ApprovalStatus
    from linkstar.approvals.services import decide_approval
    from linkstar.entities.services import create_entity
    from linkstar.playbooks.models import Template
    from linkstar.projects.models import Stage, StoreProject, Task, TaskStatus
    from linkstar.projects.services import (
        ProjectRow,
        add_comment,
        change_stage,
        create_projects_batch,
        org_today,
        update_task,
    )

    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started = t = time.perf_counter()
    bootstrap()
    slug = f"bench-pages-{uuid.uuid4().hex[:6]}"
    bench = make_org(slug)
    admin = bench.actors["alice"]
    frank = add_member(
        actor=admin,
        email=f"frank@{slug}.bench",
        role="auditor",
        name="Frank",
        password="bench-password",
    )
    bench.people["frank"] = frank.user
    entities = [bench.entity] + [
        create_entity(
            actor=admin,
            name=name,
            registration_number=number,
            legal_rep_name=rep,
            legal_rep_id_number=id_number,
        )
        for name, number, rep, id_number in [
            ("杭州云帆贸易有限公司", "91330106MA2H3XXXX2", "李娜", "330106199002150000"),
            ("义乌市启明进出口有限公司", "91330782MA2E4XXXX3", "王强", "330782198711300000"),
        ]
    ]
    t = _step(timings, "migrate, catalog, org, people", t)

    # N projects, 500 a batch, start dates from 90 days ago to a few days ago; the last batch
    # after a v2 of the template is published.
    bob, carol = bench.actors["bob"], bench.people["carol"]
    template = Template.objects.get(organization__isnull=True, key=TEMPLATE_KEY)
    sites = [s.code for s in template.sites.order_by("code")]
    today = org_today(bench.org)
    n_batches = -(-n_projects // BATCH)
    made = 0
    for b in range(n_batches):
        if b == n_batches - 1 and n_batches > 1:
            _bump_builtin_template()
        size = min(BATCH, n_projects - made)
        create_projects_batch(
            actor=bob,
            template_id=template.pk,
            rows=[
                ProjectRow(
                    store_name=f"Store {made + j:05d}",
                    entity_id=entities[(made + j) % len(entities)].pk,
                    site=sites[(made + j) % len(sites)],
                    members=[carol.pk],
                )
                for j in range(size)
            ],
            start_date=today - dt.timedelta(days=SPREAD_DAYS - b * SPREAD_DAYS // n_batches),
        )
        made += size
    projects = list(
        StoreProject.objects.filter(organization=bench.org).order_by("pk").only("pk", "stage")
    )
    assert len(projects) == n_projects
    counts["tasks"] = Task.objects.filter(organization=bench.org).count()
    t = _step(timings, f"{n_projects:,} projects ({n_batches} batches)", t)

    # The compliance gates (issue 4): a valid document of every type in each entity's vault,
    # and the association risks of these 5,000 stores of three companies looked at, set up in
    # the database directly (what is measured here is the pages).
    _pass_compliance_gates(bench.org, entities)
    t = _step(timings, "documents, risks acknowledged", t)

    # Stage moves on every 17th project (~6 %): to under_review, then on to needs_info, opened,
    # rejected, or cancelled, or left there.
    moves = 0
    moved = projects[::17]
    for i, project in enumerate(moved):
        project = change_stage(actor=bob, project=project, stage=Stage.UNDER_REVIEW, note="提交")
        moves += 1
        then = [Stage.NEEDS_INFO, Stage.OPENED, Stage.REJECTED, None, Stage.CANCELLED][i % 5]
        if then:
            change_stage(actor=bob, project=project, stage=then, note="平台回复 Platform answer")
            moves += 1
    counts["stage moves"] = moves
    t = _step(timings, f"{moves} stage moves", t)

    # Task work on every 25th other project (~4 %): the manager assigns the six document tasks
    # to the operator, who starts them; on half the projects she finishes them; on a quarter the
    # manager then asks for the document review's approval; a reviewer approves half of those.
    moved_ids = {p.pk for p in moved}
    worked = [p for p in projects[1::25] if p.pk not in moved_ids]
    tasks_of: dict[int, dict[str, Task]] = {}
    for task in Task.objects.filter(project__in=worked).only("pk", "project_id", "key"):
        tasks_of.setdefault(task.project_id, {})[task.key] = task
    operator, dave = bench.actors["carol"], bench.actors["dave"]
    updates = approvals = approved = 0
    for i, project in enumerate(worked):
        tasks = tasks_of[project.pk]
        documents = [tasks[k] for k in tasks if k.startswith("prepare-")]
        for task in documents:
            update_task(actor=bob, task=task, assignee_id=carol.pk)
            update_task(actor=operator, task=task, status=TaskStatus.IN_PROGRESS)
            updates += 2
        if i % 2:
            continue
        for task in documents:
            update_task(actor=operator, task=task, status=TaskStatus.DONE)
            updates += 1
        if i % 4:
            continue
        review = tasks["review-document-pack"]
        update_task(actor=bob, task=review, status=TaskStatus.IN_PROGRESS)
        review = update_task(actor=bob, task=review, status=TaskStatus.DONE)
        updates += 2
        approvals += 1
        if i % 8 == 0:
            approval = ApprovalRequest.objects.get(task=review, status=ApprovalStatus.PENDING)
            decide_approval(actor=dave, approval=approval, decision="approve", comment="资料齐全")
            approved += 1
            update_task(actor=operator, task=tasks["create-seller-account"], status="in_progress")
            updates += 1
    counts.update(task_updates=updates, approvals=approvals, approved=approved)

    # The measured project: the first worked one (documents done, review approved), sent to
    # review and back for more information, with a short discussion on its review task.
    showcase = StoreProject.objects.get(pk=worked[0].pk)
    for stage in (Stage.UNDER_REVIEW, Stage.NEEDS_INFO, Stage.UNDER_REVIEW):
        showcase = change_stage(
            actor=bob, project=showcase, stage=stage, note="来回 back and forth"
        )
    review = tasks_of[showcase.pk]["review-document-pack"]
    for actor, body in [
        (operator, "@Bob 资料已上传，请复核 Documents uploaded"),
        (bob, "@Carol 营业执照扫描件不清晰，请重传 The licence scan is blurred"),
        (operator, "已重传 Re-uploaded"),
    ]:
        add_comment(actor=actor, project=showcase, task=review, body=body)
    _step(timings, f"{updates} task updates, {approvals} approvals", t)
    timings["total"] = time.perf_counter() - started
    return World(
        slug=slug,
        people=bench.people,
        project_id=showcase.pk,
        task_id=review.pk,
        template_id=template.pk,
        timings=timings,
        counts=counts,
    )


# --- the pages -------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str  # below /o/<org>/
    who: str = "bob"
    params: dict = field(default_factory=dict)
    expect: str = ""  # text the page must contain


def pages_of(world: World) -> list[Page]:
    from linkstar.projects.models import StoreProject, Task

    project = StoreProject.objects.get(pk=world.project_id)
    task = Task.objects.get(pk=world.task_id)
    p = f"projects/{project.pk}/"
    return [
        Page("workbench", ""),
        Page("project list", "projects/"),
        Page(
            "project list: overdue, preparing, by finish",
            "projects/",
            params={"overdue": "on", "stage": "preparing", "order": "-planned_finish"},
        ),
        Page("project list: page 100", "projects/", params={"page": "100"}),
        Page("kanban", "kanban/"),
        Page("project: tasks tab", p, expect=project.code),
        Page("project: gantt tab", p, params={"tab": "gantt"}, expect=project.code),
        Page("project: team tab", p, params={"tab": "team"}, expect=project.code),
        Page("project: history tab", p, params={"tab": "history"}, expect=project.code),
        Page("task page", f"tasks/{task.pk}/", expect="Re-uploaded"),
        Page("my tasks", "my-tasks/", who="carol"),
        Page("approvals inbox", "approvals/", who="dave"),
        Page("template library", "templates/"),
        Page("template page (amazon-na)", f"templates/{world.template_id}/"),
        Page("audit log", "audit/", who="alice"),
        Page("members", "settings/members/"),
        Page("seller entities", "settings/entities/"),
        Page("batch creation, step 1", "projects/batch/"),
        Page("new project", "projects/new/"),
    ]


@dataclass
class PageResult:
    page: Page
    result: Result
    sql_ms: list[float]
    kb: float


def _check(page: Page, response) -> None:
    where = f"{page.name} ({page.path or '/'} {page.params or ''})"
    assert response.status_code == 200, f"{where}: HTTP {response.status_code}"
    assert "text/html" in response.get("Content-Type", ""), f"{where}: {response['Content-Type']}"
    body = response.content.decode()
    assert 'id="forbidden"' not in body, f"{where}: a 'not allowed' page"
    assert "<h1>500</h1>" not in body, f"{where}: an error page"
    assert page.expect in body, f"{where}: {page.expect!r} missing"


def measure_pages(world: World, pages: list[Page], runs: int) -> list[PageResult]:
    from django.test import Client

    clients = {}
    for login in {p.who for p in pages}:
        clients[login] = Client()
        clients[login].force_login(world.people[login])
    out = []
    for page in pages:
        client, url = clients[page.who], f"/o/{world.slug}/{page.path}"
        response = client.get(url, page.params)  # warm-up: imports, template compilation
        _check(page, response)
        sql_ms = []

        def step(i, page=page, client=client, url=url, sql_ms=sql_ms):
            def call():
                with counting() as log:
                    response = client.get(url, page.params)
                sql_ms.append(log.seconds * 1000)
                _check(page, response)

            return call

        result = measure(page.name, runs, step, note=page.who)
        out.append(PageResult(page, result, sql_ms, len(response.content) / 1024))
    return out


def profile_page(world: World, page: Page, top: int = 25) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.people[page.who])
    url = f"/o/{world.slug}/{page.path}"
    client.get(url, page.params)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url, page.params)
    profiler.disable()
    print(f"\n--- cProfile of {page.name} ({url}) as {page.who}: top {top} by cumulative time ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    print("--- top 15 by own time ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# --- report ----------------------------------------------------------------------------------

ROLES = {"alice": "admin", "bob": "manager", "carol": "operator", "dave": "reviewer"}


def print_pages(results: list[PageResult]) -> None:
    width = max(len(r.page.name) for r in results)
    header = (
        f"{'page':<{width}}  {'as':<8}  {'median ms':>9}  {'min':>7}  {'max':>7}  "
        f"{'cpu ms':>7}  {'sql ms':>7}  {'queries':>7}  {'KB':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        res = r.result
        queries = f"{res.median_queries:.0f}" + ("" if len(set(res.queries)) == 1 else "~")
        print(
            f"{r.page.name:<{width}}  {ROLES[r.page.who]:<8}  {res.median_ms:>9.1f}  "
            f"{min(res.ms):>7.1f}  {max(res.ms):>7.1f}  {statistics.median(res.cpu_ms):>7.1f}  "
            f"{statistics.median(r.sql_ms):>7.1f}  {queries:>7}  {r.kb:>6.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5000, help="projects in the org")
    parser.add_argument("--runs", type=int, default=7, help="timed GETs of each page (≥3)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"cProfile one GET of every page over {SLOW_MS:.0f} ms",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    runs = max(args.runs, 3)
    if args.projects < 50:
        parser.error("--projects must be at least 50")

    data_dir = configure(args)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    # No collectstatic has been run: plain static storage; and the test client's host.
    hosts = settings.ALLOWED_HOSTS
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=hosts if "*" in hosts or "testserver" in hosts else [*hosts, "testserver"],
    ).enable()
    try:
        world = build_world(args.projects)
        db = connection.vendor
        if db == "sqlite":
            import sqlite3

            db += f" {sqlite3.sqlite_version}"
        print(
            f"LinkStar page benchmark — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n"
            f"Python {platform.python_version()}, Django {__import__('django').get_version()}, "
            f"{db}, {os.cpu_count()} CPUs, {platform.machine()}; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        print(
            f"\nSet-up {world.timings['total']:.1f} s: "
            + "; ".join(f"{k} {v:.1f} s" for k, v in world.timings.items() if k != "total")
            + f". {world.counts['tasks']:,} tasks, {world.counts['approved']} approvals decided, "
            f"{world.counts['approvals'] - world.counts['approved']} pending."
        )
        pages = pages_of(world)
        results = measure_pages(world, pages, runs)
        print(
            f"\nGET through django.test.Client, one warm-up then {runs} runs; ms: wall time "
            f"(median, min, max); cpu ms: this process (SQLite runs in it); sql ms: time inside "
            f"the database calls; KB: the page's size. Load average now "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}.\n"
        )
        print_pages(results)
        slow = [r for r in results if r.result.median_ms > SLOW_MS]
        if slow:
            print(f"\nOver {SLOW_MS:.0f} ms: " + ", ".join(r.page.name for r in slow))
        if args.profile:
            for r in slow:
                profile_page(world, r.page)
    finally:
        connection.close()
        if args.keep:
            print(f"\ndata kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
