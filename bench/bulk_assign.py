"""LinkStar bulk-task benchmark: one bulk action on 2,000 tasks of 80 projects, through the
service the task list and ``POST /orgs/{org}/tasks/bulk`` call.

    .venv/bin/python bench/bulk_assign.py                       # fresh SQLite in a temporary dir
    .venv/bin/python bench/bulk_assign.py --tasks 5000 --runs 5
    DATABASE_URL=postgres://... .venv/bin/python bench/bulk_assign.py   # a scratch database

The organization is built as bench/run.py does (its helpers, its 25-task template); 80 projects
(2,000 tasks) are made by one ``create_projects_batch``, their tasks assigned to carol by their
role. Each run then times ``bulk_update_tasks(action="assign")`` of all 2,000 tasks, to dave and
back to carol on alternate runs (so every run changes every task: one UPDATE, 2,000 audit
events, one publish_many of 2,000 task.assigned events), and once ``move_due`` by one day. It
prints the median wall time, the CPU time, the SQL statement count, and the time per task.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
import uuid

from run import TEMPLATE_TASKS, bootstrap, configure, make_org, measure, print_table, template_of_25


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks per bulk action")
    parser.add_argument("--runs", type=int, default=5, help="runs of each action (≥3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    runs = max(args.runs, 3)

    data_dir = configure(args)
    from django.conf import settings
    from django.db import connection

    settings.LINKSTAR_BULK_TASKS_MAX = max(settings.LINKSTAR_BULK_TASKS_MAX, args.tasks)
    try:
        started = time.perf_counter()
        bootstrap()
        bench = make_org(f"bench-{uuid.uuid4().hex[:6]}")
        template = template_of_25(bench)

        from linkstar.projects.models import Task
        from linkstar.projects.services import ProjectRow, bulk_update_tasks, create_projects_batch

        n_projects = -(-args.tasks // TEMPLATE_TASKS)
        projects = create_projects_batch(
            actor=bench.actors["bob"],
            template_id=template.pk,
            rows=[
                ProjectRow(store_name=f"Bulk store {i}", entity_id=bench.entity.pk)
                for i in range(n_projects)
            ],
            team_roles={"operator": [bench.people["carol"].pk]},
        )
        task_ids = list(
            Task.objects.filter(project__in=projects).order_by("pk").values_list("pk", flat=True)
        )[: args.tasks]
        setup_s = time.perf_counter() - started
        print(
            f"LinkStar bulk-task benchmark — Python {platform.python_version()}, "
            f"{connection.vendor}, {os.cpu_count()} CPUs; {len(task_ids):,} tasks of "
            f"{len(projects)} projects; setup {setup_s:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        people = [bench.people["dave"].pk, bench.people["carol"].pk]

        def assign(i):
            return lambda: bulk_update_tasks(
                actor=bench.actors["bob"],
                action="assign",
                task_ids=task_ids,
                assignee_id=people[i % 2],
            )

        def move(i):
            return lambda: bulk_update_tasks(
                actor=bench.actors["bob"], action="move_due", task_ids=task_ids, days=1
            )

        results = [
            measure(f"assign {len(task_ids):,} tasks (bulk_update_tasks)", runs, assign),
            measure(f"move_due {len(task_ids):,} tasks by 1 day", runs, move),
        ]
        assert Task.objects.filter(pk__in=task_ids, assignee=bench.people["carol"]).count() in (
            0,
            len(task_ids),
        )
        print()
        print_table(results)
        for result in results:
            print(
                f"{result.name}: median {result.median_ms:.0f} ms, "
                f"{result.median_ms / len(task_ids) * 1000:.0f} µs per task, "
                f"{statistics.median(result.queries):.0f} SQL statements."
            )
    finally:
        connection.close()
        if args.keep:
            print(f"\ndata kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
