"""LinkStar reminder scan benchmark: the periodic scan over 300,000 tasks.

    .venv/bin/python bench/reminders.py                     # 12,000 projects x 25 tasks, SQLite
    .venv/bin/python bench/reminders.py --projects 2000     # smaller
    DATABASE_URL=postgres://... .venv/bin/python bench/reminders.py   # a scratch database

The organization is built as bench/run.py does; one project is created through the real
service, then the rest are copied from it with bulk inserts (projects, then 25 tasks each):
due dates spread from 60 days ago to 120 days ahead, most past tasks done, a few overdue and
open, a share of projects under review for longer than their site's usual time or without
activity for longer than the stalled threshold. Then ``scan_reminders`` — the periodic job —
runs three times: the first scan creates the reminders (due soon, overdue, stalled, review too
long), the second finds the same ones and adds nothing (the dedupe keys), the third runs the
next day (new overdue reminders, the due-soon window moved). It prints the wall time, the SQL
statements and the reminders created by each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import shutil
import sys
import time

from run import bootstrap, configure, counting, make_org

TASKS_PER_PROJECT = 25


def build(bench, projects: int) -> int:
    from django.db import transaction

    from linkstar.core import clock
    from linkstar.playbooks.models import Template
    from linkstar.projects.models import StoreProject, Task
    from linkstar.projects.services import create_project

    template = Template.objects.get(organization__isnull=True, key="amazon-na")
    seed = create_project(
        actor=bench.actors["bob"],
        template_id=template.pk,
        store_name="Seed store",
        entity_id=bench.entity.pk,
    )
    rng = random.Random(7)
    now = clock.now()
    today = clock.org_today(bench.org)
    carol = bench.people["carol"].pk
    bob = bench.people["bob"].pk
    with transaction.atomic():
        rows = []
        for i in range(projects):
            r = rng.random()
            stage = "under_review" if r < 0.1 else "preparing"
            rows.append(
                StoreProject(
                    organization=bench.org,
                    code=f"B-{i:06d}",
                    store_name=f"Bench store {i}",
                    site_id=seed.site_id,
                    entity_id=seed.entity_id,
                    manager_id=bob,
                    template_version_id=seed.template_version_id,
                    start_date=today - dt.timedelta(days=60),
                    planned_finish=today + dt.timedelta(days=120),
                    stage=stage,
                    stage_changed_at=now - dt.timedelta(days=rng.randint(0, 20)),
                    task_count=TASKS_PER_PROJECT,
                )
            )
        StoreProject.objects.bulk_create(rows, batch_size=2000)
        ids = list(
            StoreProject.objects.filter(organization=bench.org, code__startswith="B-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # created a while ago: some are stalled (no audited activity since)
        StoreProject.objects.filter(pk__in=ids[: len(ids) // 20]).update(
            created_at=now - dt.timedelta(days=30)
        )
        tasks = []
        for pid in ids:
            for n in range(TASKS_PER_PROJECT):
                due = today + dt.timedelta(days=rng.randint(-60, 120))
                past = due < today
                status = ("done" if rng.random() < 0.95 else "in_progress") if past else "todo"
                tasks.append(
                    Task(
                        organization=bench.org,
                        project_id=pid,
                        key=f"t{n}",
                        position=n,
                        title=f"Task {n}",
                        phase="documents",
                        status=status,
                        assignee_id=carol if rng.random() < 0.7 else None,
                        start_date=due - dt.timedelta(days=2),
                        due_date=due,
                    )
                )
                if len(tasks) >= 20000:
                    Task.objects.bulk_create(tasks, batch_size=2000)
                    tasks = []
        Task.objects.bulk_create(tasks, batch_size=2000)
    return Task.objects.filter(organization=bench.org).count()


def scan(label: str) -> None:
    from linkstar.delivery.reminders import scan_reminders
    from linkstar.notifications.models import Event

    before = Event.objects.filter(dedupe_key__isnull=False).count()
    with counting() as log:
        start = time.perf_counter()
        offered = scan_reminders(force=True)  # whatever the hour: the bench measures the scan
        elapsed = time.perf_counter() - start
    made = Event.objects.filter(dedupe_key__isnull=False).count() - before
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(offered.items()))
    print(
        f"{label:<28} {elapsed * 1000:>9.0f} ms {log.count:>6} queries "
        f"{made:>7} new reminders   (offered: {kinds})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=12000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = configure(args)
    try:
        bootstrap()
        from django.db import connection

        from linkstar.core import clock

        bench = make_org(f"bench-rem-{int(time.time())}")
        start = time.perf_counter()
        total = build(bench, args.projects)
        print(f"LinkStar reminder scan · {connection.vendor} · Python {platform.python_version()}")
        print(f"built {total:,} tasks in {time.perf_counter() - start:.1f} s (bulk inserts)\n")
        scan("first scan")
        scan("second scan (same day)")
        with clock.travel(days=1):
            scan("next day")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
