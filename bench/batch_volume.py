"""An agency's batch at volume (issue 12): 500 projects x 25 tasks through the real batch
service — every task assigned by its role (three operators share them), association risks
found under the account-scope rules — against the same rows inserted with raw ``executemany``
in the same run, on the same database.

    .venv/bin/python bench/batch_volume.py                     # SQLite in a temporary dir
    DATABASE_URL=postgres://... .venv/bin/python bench/batch_volume.py --runs 3

The organization is built as bench/run.py does (its helpers, with the 25-task template), plus
two more operators and 250 client companies, each opening Amazon US and Amazon Mexico (one
entity's North America account: no risk); two of them share a phone, so the batch has real risks
to find (4 in the first run: every pair of their stores; from the second run on, each company's
new US store is also a second account beside the earlier run's). The raw insert copies the rows
the service wrote (projects, tasks, dependencies) under new ids and codes, in one transaction
that is rolled back. Target: the service at most 40x raw.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import bootstrap, configure, make_org, template_of_25

COMPANIES = 250  # each opens two stores in the batch: Amazon US and Amazon Mexico
SITES = ("amazon-us", "amazon-mx")


def setup(size: int):
    from linkstar.accounts.services import add_member
    from linkstar.entities.models import Identifier
    from linkstar.entities.services import create_entity

    bench = make_org(f"bv-{uuid.uuid4().hex[:6]}")
    template = template_of_25(bench)
    operators = [bench.people["carol"].pk]
    for login in ("olga", "oscar"):
        membership = add_member(
            actor=bench.actors["alice"],
            email=f"{login}@{bench.org.slug}.bench",
            role="operator",
            name=login.title(),
            password="bench-password",
        )
        operators.append(membership.user_id)
    entities = [
        create_entity(
            actor=bench.actors["alice"],
            name=f"客户公司 {n} 有限公司",
            registration_number=f"9144030000000{n:04d}X",
        )
        for n in range(COMPANIES)
    ]
    # the first two companies registered with one phone: every pair of their stores is a risk
    from linkstar.core.crypto import blind_index

    for entity in entities[:2]:
        Identifier.objects.create(
            organization=bench.org,
            entity=entity,
            kind="phone",
            digest=blind_index("13800138000", kind="phone"),
            masked="1380***8000",
            source=f"bench:{entity.pk}",
        )
    return bench, template, entities, operators


def service_batch(bench, template, entities, operators, size: int, run: int):
    from linkstar.projects.services import ProjectRow, create_projects_batch

    rows = [
        ProjectRow(
            store_name=f"Run {run} store {i}",
            entity_id=entities[(i // len(SITES)) % len(entities)].pk,
            site=SITES[i % len(SITES)],
        )
        for i in range(size)
    ]
    started = time.perf_counter()
    projects = create_projects_batch(
        actor=bench.actors["bob"],
        template_id=template.pk,
        rows=rows,
        team_roles={"operator": operators},
    )
    elapsed = time.perf_counter() - started
    return projects, elapsed


def raw_insert(project_ids: list[int], run: int) -> float:
    """The same projects, tasks and dependencies, copied with executemany under new ids and
    codes, in a transaction rolled back afterwards; the reads are outside the timing."""
    from django.db import connection, transaction

    from linkstar.projects.models import StoreProject, Task

    def columns(model):
        return [f.column for f in model._meta.concrete_fields if f.column != "id"]

    p_cols, t_cols = columns(StoreProject), columns(Task)
    projects = list(
        StoreProject.objects.filter(pk__in=project_ids).order_by("pk").values_list("pk", *p_cols)
    )
    tasks = list(
        Task.objects.filter(project_id__in=project_ids).order_by("pk").values_list("pk", *t_cols)
    )
    through = Task.depends_on.through
    deps = list(
        through.objects.filter(from_task__project_id__in=project_ids).values_list(
            "from_task_id", "to_task_id"
        )
    )
    code_at = p_cols.index("code")
    qn = connection.ops.quote_name

    def sql(model, cols):
        return (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
            f"VALUES ({', '.join(['%s'] * len(cols))})"
        )

    import json

    def plain(value):
        return json.dumps(value) if isinstance(value, list | dict) else value

    from django.db.models import Max

    next_project = (StoreProject.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    next_task = (Task.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    new_project = {row[0]: next_project + i for i, row in enumerate(projects)}
    new_task = {row[0]: next_task + i for i, row in enumerate(tasks)}
    project_at = t_cols.index("project_id")
    project_rows = []
    for row in projects:
        values = list(row[1:])
        values[code_at] = f"RAW{run}-{row[0]}"
        project_rows.append([new_project[row[0]], *(plain(v) for v in values)])
    task_rows = []
    for row in tasks:
        values = [plain(v) for v in row[1:]]
        values[project_at] = new_project[values[project_at]]
        task_rows.append([new_task[row[0]], *values])
    deps = [(new_task[a], new_task[b]) for a, b in deps]
    p_cols, t_cols = ["id", *p_cols], ["id", *t_cols]
    dep_cols = [
        through._meta.get_field("from_task").column,
        through._meta.get_field("to_task").column,
    ]
    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.executemany(sql(StoreProject, p_cols), project_rows)
                cursor.executemany(sql(Task, t_cols), task_rows)
                cursor.executemany(sql(through, dep_cols), deps)
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


class _Rollback(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    data_dir = configure(args)
    from django.db import connection

    try:
        bootstrap()
        bench, template, entities, operators = setup(args.size)
        from django.db.models import Q

        from linkstar.compliance.models import AssociationRisk, RiskStatus
        from linkstar.projects.models import Task

        service_s, raw_s = [], []
        for run in range(args.runs):
            projects, elapsed = service_batch(bench, template, entities, operators, args.size, run)
            ids = [p.pk for p in projects]
            service_s.append(elapsed)
            raw_s.append(raw_insert(ids, run))
            unassigned = Task.objects.filter(project_id__in=ids, assignee__isnull=True).count()
            risks = (
                AssociationRisk.objects.filter(status=RiskStatus.OPEN)
                .filter(Q(project_id__in=ids) | Q(other_project_id__in=ids))
                .count()
            )
            print(
                f"run {run + 1}: service {elapsed * 1000:.0f} ms, raw executemany "
                f"{raw_s[-1] * 1000:.0f} ms; {len(ids)} projects, "
                f"{Task.objects.filter(project_id__in=ids).count()} tasks, {unassigned} unassigned, "
                f"{risks} open risks with a project of this run"
            )
        service, raw = statistics.median(service_s), statistics.median(raw_s)
        ratio = service / raw if raw else float("inf")
        print(
            f"\n{connection.vendor}: batch of {args.size} x 25 with auto-assignment and risk "
            f"detection: median {service * 1000:.0f} ms; the same rows with raw executemany: "
            f"median {raw * 1000:.0f} ms; ratio {ratio:.1f}x (target at most 40x: "
            f"{'met' if ratio <= 40 else 'MISSED'})."
        )
    finally:
        connection.close()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
