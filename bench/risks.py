"""LinkStar association-risk benchmark: checking 500 new projects against 10,000 existing ones.

    .venv/bin/python bench/risks.py                       # fresh SQLite in a temporary dir
    .venv/bin/python bench/risks.py --existing 2000 --runs 3
    DATABASE_URL=postgres://... .venv/bin/python bench/risks.py   # a scratch PostgreSQL database

The organization is built as bench/run.py does (its helpers), then, directly in the database
where the services would be slow to repeat (entities, their identifiers) and through the real
project services for the projects:

- 4,000 seller entities, each with seven identifiers as the entity services keep them
  (registration number, legal representative's ID, email, phone, address, card fingerprint,
  collection account: keyed blind indexes and masked labels); 2 % of the entities share an
  address with others (an agency's office used as everyone's address) and 2 % share a phone;
- N existing projects (default 10,000) spread over 12 sites of 7 platforms (Amazon NA, EU, JP;
  eBay; Shopee; TikTok Shop; Walmart), about 2.5 per entity, made in batches of 500 from small
  per-site templates (detection runs in each, as in production);
- then batches of 500 rows on the built-in Amazon North America template (21 tasks): 100 rows
  for entities that already have stores (some in North America: certain matches), 400 for new
  entities, a tenth of which reuse an existing entity's phone or email; other entities in each
  run, so that the runs are alike and do not match each other.

It measures, median of --runs:
(a) ``preview_batch_risks`` of the 500 rows (the batch wizard's preview);
(b) ``detect_risks`` of the first batch's 500 projects, their risks removed before each run (so
    the rows are found and inserted again);
(c) ``create_projects_batch`` of the 500 rows, the whole creation, and the part of it spent in
    the detection (timed around ``compliance.services.after_projects_created``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import time
import uuid

from run import bootstrap, configure, counting, make_org, measure

SITES = [
    "amazon-us",
    "amazon-ca",
    "amazon-mx",
    "amazon-de",
    "amazon-uk",
    "amazon-jp",
    "ebay-us",
    "shopee-my",
    "shopee-sg",
    "tiktok-shop-uk",
    "tiktok-shop-my",
    "walmart-us",
]
KINDS = [
    "registration_number",
    "legal_rep_id",
    "email",
    "phone",
    "address",
    "card",
    "collection_account",
]
BATCH = 500
SMALL_TASKS = [
    {"key": "prepare", "title": "准备资料 Prepare", "phase": "documents", "duration_days": 3},
    {
        "key": "submit",
        "title": "提交申请 Submit",
        "phase": "registration",
        "offset_days": 3,
        "duration_days": 2,
        "depends_on": ["prepare"],
        "sets_stage": "under_review",
    },
]


def _value(kind: str, n: int) -> str:
    return {
        "registration_number": f"91440300MA{n:08d}",
        "legal_rep_id": f"4403011988{n:08d}",
        "email": f"seller{n}@example.com",
        "phone": f"139{n:08d}",
        "address": f"深圳市南山区科技园 {n} 号",
        "card": f"4111{n:012d}",
        "collection_account": f"6222{n:012d}",
    }[kind]


def _entities(org, start: int, count: int, *, shared: dict[str, int]) -> list:
    """``count`` entities with seven identifiers each; ``shared[kind]`` = how many of them take
    that identifier from a small pool (so that they match each other)."""
    from linkstar.core.masking import mask
    from linkstar.entities.identifiers import digest_for
    from linkstar.entities.models import Identifier, SellerEntity

    entities = SellerEntity.objects.bulk_create(
        SellerEntity(organization=org, name=f"主体 {start + i:05d}") for i in range(count)
    )
    rows = []
    for i, entity in enumerate(entities):
        n = start + i
        for kind in KINDS:
            pool = shared.get(kind, 0)
            value = _value(kind, 10**6 + (n % 7)) if i < pool else _value(kind, n)
            rows.append(
                Identifier(
                    organization=org,
                    entity=entity,
                    kind=kind,
                    digest=digest_for(kind, value),
                    masked=mask(value) or "",
                    source=f"bench:{entity.pk}:{kind}",
                )
            )
    Identifier.objects.bulk_create(rows, batch_size=2000)
    return entities


def _site_templates(admin) -> dict:
    from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks

    templates = {}
    for code in SITES:
        template = create_template(actor=admin, name=f"Bench {code}", site=code)
        version = template.versions.get(number=1)
        replace_draft_tasks(actor=admin, version=version, tasks=SMALL_TASKS)
        publish_version(actor=admin, version=version)
        templates[code] = template
    return templates


def build(existing: int, batch_runs: int):
    from linkstar.projects.services import ProjectRow, create_projects_batch, org_today

    timings = {}
    t = time.perf_counter()
    bootstrap()
    bench = make_org(f"bench-risks-{uuid.uuid4().hex[:6]}")
    admin, bob = bench.actors["alice"], bench.actors["bob"]
    n_entities = max(existing * 2 // 5, 10)
    entities = _entities(
        bench.org,
        0,
        n_entities,
        shared={"address": n_entities // 50, "phone": n_entities // 50},
    )
    timings["entities"] = time.perf_counter() - t
    t = time.perf_counter()
    templates = _site_templates(admin)
    today = org_today(bench.org)
    by_site: dict[str, list] = {code: [] for code in SITES}
    for i in range(existing):
        entity = entities[i % n_entities]
        site = SITES[(i // n_entities * 5 + i) % len(SITES)]
        by_site[site].append(ProjectRow(store_name=f"Store {i:05d}", entity_id=entity.pk))
    made = 0
    for code, rows in by_site.items():
        for chunk in range(0, len(rows), BATCH):
            made += len(
                create_projects_batch(
                    actor=bob,
                    template_id=templates[code].pk,
                    rows=rows[chunk : chunk + BATCH],
                    start_date=today - dt.timedelta(days=30),
                )
            )
    assert made == existing
    timings["existing projects"] = time.perf_counter() - t

    # each batch's 500 rows: 100 entities with stores already, 400 new ones (a tenth reuse a
    # phone or an email of an existing entity); other entities for each run, so that the runs
    # are alike and do not match each other
    t = time.perf_counter()
    row_sets = []
    for run in range(batch_runs):
        fresh = _entities(bench.org, n_entities + run * 400, 400, shared={})
        _reuse(fresh[:40], entities, offset=run * 41)
        old = [entities[(run * 700 + k * 7) % n_entities] for k in range(100)]
        row_sets.append(old + fresh)
    timings["new entities"] = time.perf_counter() - t
    timings["_entities"] = n_entities + 400 * batch_runs
    return bench, row_sets, timings


def _reuse(fresh, existing, *, offset: int) -> None:
    """Give each of ``fresh`` the phone (even) or email (odd) of an existing entity."""
    from linkstar.entities.models import Identifier

    for i, entity in enumerate(fresh):
        kind = "phone" if i % 2 == 0 else "email"
        other = existing[(offset + i * 13) % len(existing)]
        source = Identifier.objects.get(entity=other, kind=kind)
        Identifier.objects.filter(entity=entity, kind=kind).update(
            digest=source.digest, masked=source.masked
        )


def _rows(entities, tag: str) -> list:
    from linkstar.projects.services import ProjectRow

    sites = ["amazon-us", "amazon-ca", "amazon-mx"]
    return [
        ProjectRow(store_name=f"New {tag} {i:03d}", entity_id=e.pk, site=sites[i % 3])
        for i, e in enumerate(entities)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=10_000, help="projects already there")
    parser.add_argument("--runs", type=int, default=5, help="runs of (a) and (b), ≥3")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of (c), ≥1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args(argv)
    runs = max(args.runs, 3)

    data_dir = configure(args)
    from django.db import connection, transaction

    from linkstar.compliance import services as compliance
    from linkstar.compliance.models import AssociationRisk
    from linkstar.playbooks.models import Template
    from linkstar.projects.models import StoreProject
    from linkstar.projects.services import create_projects_batch, org_today

    try:
        batch_runs = max(args.batch_runs, 1)
        bench, row_sets, timings = build(args.existing, batch_runs)
        org = bench.org
        bob = bench.actors["bob"]
        amazon_na = Template.objects.get(organization__isnull=True, key="amazon-na")
        db = connection.vendor
        if db == "sqlite":
            import sqlite3

            db += f" {sqlite3.sqlite_version}"
        from linkstar.entities.models import Identifier

        print(
            f"LinkStar association-risk benchmark — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n"
            f"Python {platform.python_version()}, Django {__import__('django').get_version()}, "
            f"{db}, {os.cpu_count()} CPUs, {platform.machine()}; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        n_entities = timings.pop("_entities")
        print(
            f"\nSet-up: {StoreProject.objects.filter(organization=org).count():,} projects on "
            f"{len(SITES)} sites, {Identifier.objects.filter(organization=org).count():,} "
            f"identifiers of {n_entities:,} entities, "
            f"{AssociationRisk.objects.filter(organization=org).count():,} risks found while "
            "creating them; " + "; ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        )

        # (a) the wizard's preview of the 500 rows
        rows = _rows(row_sets[0], "preview")
        found: dict = {}

        def preview(i):
            def call():
                found.clear()
                found.update(
                    compliance.preview_batch_risks(
                        actor=bob, template_version_or_site=amazon_na, rows=rows
                    )
                )

            return call

        a = measure("(a) preview_batch_risks, 500 rows", runs, preview)
        a.note = f"{len(found)} rows with risks, {sum(len(v) for v in found.values())} items"

        # (c) the whole batch creation, and its detection part
        detection_ms: list[float] = []
        detection_q: list[int] = []
        original = compliance.after_projects_created

        def timed(*, projects):
            with counting() as log:
                t = time.perf_counter()
                original(projects=projects)
                detection_ms.append((time.perf_counter() - t) * 1000)
            detection_q.append(log.count)

        first: list = []

        def batch(i):
            batch_rows = _rows(row_sets[i], f"b{i}")

            def call():
                with transaction.atomic():
                    created = create_projects_batch(
                        actor=bob,
                        template_id=amazon_na.pk,
                        rows=batch_rows,
                        start_date=org_today(org),
                    )
                if not first:
                    first.extend(created)

            return call

        from linkstar.compliance import listeners as compliance_listeners

        # creation announces PROJECTS_CREATED; compliance's listener runs the detection
        compliance_listeners.after_projects_created = timed
        try:
            c = measure("(c) create_projects_batch, 500 x 21 tasks", max(args.batch_runs, 1), batch)
        finally:
            compliance_listeners.after_projects_created = original
        new_ids = [p.pk for p in first]
        new_risks = AssociationRisk.objects.filter(project_id__in=new_ids).count()
        c.note = f"{new_risks} risks on the first batch's projects"

        # (b) detection of the first batch's 500 projects, from scratch each run
        inserted: list[int] = []

        def detect(i):
            AssociationRisk.objects.filter(project_id__in=new_ids).delete()
            AssociationRisk.objects.filter(other_project_id__in=new_ids).delete()

            def call():
                inserted.append(len(compliance.detect_risks(organization=org, projects=new_ids)))

            return call

        b = measure("(b) detect_risks, 500 new projects", runs, detect)
        b.note = f"{statistics.median(inserted):.0f} risks stored"

        print(
            f"\nms: wall time, median of the runs (min–max); cpu ms: this process; queries: SQL "
            f"statements (each bulk INSERT chunk counts). Load average now "
            f"{os.getloadavg()[0]:.1f}.\n"
        )
        header = f"{'operation':<42}  {'median ms':>9}  {'min–max':>15}  {'cpu ms':>7}  {'queries':>7}  note"
        print(header)
        print("-" * (len(header) + 30))
        for r in (a, b, c):
            print(
                f"{r.name:<42}  {r.median_ms:>9.0f}  {min(r.ms):>7.0f}–{max(r.ms):<7.0f}  "
                f"{statistics.median(r.cpu_ms):>7.0f}  {r.median_queries:>7.0f}  {r.note}"
            )
        print(
            f"{'    of which the detection (in (c))':<42}  {statistics.median(detection_ms):>9.0f}  "
            f"{min(detection_ms):>7.0f}–{max(detection_ms):<7.0f}  {'':>7}  "
            f"{statistics.median(detection_q):>7.0f}"
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
