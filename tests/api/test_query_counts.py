"""A list endpoint costs a fixed number of SQL queries, whatever the number of rows.

Each list is measured with 10 projects and again with 500 (each with its 21 tasks, an approval
request and a decision), for an admin, an operator whose visibility is filtered, a reviewer and
the auditor; the counts must be equal and small.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import ProjectRow, create_project, create_projects_batch
from tests.support.clients import ApiClient
from tests.support.seed import publish_template

# Auth token, membership, count, page, prefetches: a handful. Raise only with a reason.
MAX_QUERIES = 8

LISTS = {
    "projects": ("/orgs/acme/projects", {"limit": 500}),
    "tasks": ("/orgs/acme/tasks", {"limit": 500}),
    "approvals": ("/orgs/acme/approvals", {"limit": 500}),
    "approvals mine": ("/orgs/acme/approvals", {"limit": 500, "mine": "true"}),
    "audit": ("/orgs/acme/audit", {"limit": 500}),
}
WHO_SEES = {
    "alice": ["projects", "tasks", "approvals", "audit"],
    "carol": ["projects", "tasks", "approvals"],
    "dave": ["projects", "tasks", "approvals", "approvals mine"],
    "frank": ["projects", "tasks", "approvals", "audit"],
}


def count_queries(client: ApiClient, path: str, params: dict) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, **params)
    assert r.status_code == 200, (path, r.content[:300])
    return len(ctx.captured_queries), r.json()


def grow_to(n: int, *, as_bob, amazon_na, entity, carol, bob) -> None:
    """Add projects up to ``n``: carol is on every other one; each gets an approval request
    on its review task, decided at level 1 for every third project."""
    have = StoreProject.objects.count()
    rows = [
        ProjectRow(
            store_name=f"Store {i:04d}",
            entity_id=entity.pk,
            members=[carol.pk] if i % 2 == 0 else [],
        )
        for i in range(have, n)
    ]
    projects = create_projects_batch(
        actor=as_bob, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )
    tasks = Task.objects.filter(project__in=projects, key="review-document-pack")
    approvals = ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            organization_id=t.organization_id,
            task=t,
            project_id=t.project_id,
            levels=2,
            requested_by=carol,
        )
        for t in tasks
    )
    ApprovalDecision.objects.bulk_create(
        ApprovalDecision(request=a, level=1, decided_by=bob, decision="approve", at=a.created_at)
        for i, a in enumerate(approvals)
        if i % 3 == 0
    )


@pytest.fixture
def clients(alice, bob, carol, dave, frank):
    made = {
        name: ApiClient(user)
        for name, user in {"alice": alice, "carol": carol, "dave": dave, "frank": frank}.items()
    }
    for client in made.values():
        client.get("/me")  # the first use of a token stamps it; measure the steady state
    return made


def measure(clients) -> dict[tuple[str, str], tuple[int, int]]:
    """(who, list) → (queries, items answered)."""
    out = {}
    for who, names in WHO_SEES.items():
        # A token's last use is stamped at most once a minute: stamp it now, outside the count.
        clients[who].get("/me")
        for name in names:
            path, params = LISTS[name]
            n, body = count_queries(clients[who], path, params)
            out[(who, name)] = (n, len(body["items"]))
    return out


def test_list_queries_are_the_same_for_10_and_500_projects(
    clients, as_bob, amazon_na, entity, alice, bob, carol, django_assert_max_num_queries
):
    grow = {"as_bob": as_bob, "amazon_na": amazon_na, "entity": entity, "carol": carol, "bob": bob}
    grow_to(10, **grow)
    small = measure(clients)
    grow_to(500, **grow)
    large = measure(clients)

    counts = {key: (small[key][0], large[key][0]) for key in small}
    print("\nqueries (10 projects, 500 projects):")
    for key, pair in sorted(counts.items()):
        print(f"  {key[0]:6} {key[1]:15} {pair}  items {small[key][1]} → {large[key][1]}")
    assert {k: s for k, (s, _) in counts.items()} == {k: big for k, (_, big) in counts.items()}
    assert max(big for _, big in counts.values()) <= MAX_QUERIES

    # the pages really grew, so the equal counts mean something
    assert large[("alice", "projects")][1] == 500
    assert large[("carol", "projects")][1] == 250
    assert large[("alice", "tasks")][1] == 500
    assert large[("carol", "tasks")][1] == 500
    assert large[("alice", "approvals")][1] == 500
    assert large[("carol", "approvals")][1] == 250
    assert large[("dave", "approvals mine")][1] == 500
    assert large[("frank", "audit")][1] == 500
    assert small[("alice", "projects")][1] == 10

    # and the same bound, asserted the pytest-django way
    for who, name in (("alice", "projects"), ("carol", "tasks"), ("frank", "audit")):
        path, params = LISTS[name]
        with django_assert_max_num_queries(MAX_QUERIES):
            assert clients[who].get(path, **params).status_code == 200


def _chain(n: int) -> list[dict]:
    return [
        {
            "key": f"step-{i}",
            "title": f"Step {i}",
            "phase": "documents",
            "offset_days": i,
            "duration_days": 1,
            "depends_on": [f"step-{i - 1}"] if i else [],
            "approval_levels": i % 3,
            "document_types": ["business_license"] if i % 2 else [],
            "checklist": ["one", "two"],
        }
        for i in range(n)
    ]


def test_project_tasks_cost_the_same_for_5_and_200_tasks(
    as_alice, as_bob, entity, carol, clients, django_assert_max_num_queries
):
    counts = {}
    for n in (5, 200):
        template = publish_template(as_alice, _chain(n), name=f"Chain {n}")
        project = create_project(
            actor=as_bob,
            template_id=template.pk,
            store_name=f"Chain {n} Shop",
            entity_id=entity.pk,
            members=[carol.pk],
        )
        for who in ("alice", "carol"):
            queries, body = count_queries(
                clients[who], f"/orgs/acme/projects/{project.pk}/tasks", {"limit": 500}
            )
            assert len(body["items"]) == n
            assert body["items"][-1]["depends_on"] == [body["items"][-2]["id"]]
            counts[(who, n)] = queries
    print(f"\nproject tasks queries: {counts}")
    assert counts[("alice", 5)] == counts[("alice", 200)]
    assert counts[("carol", 5)] == counts[("carol", 200)]
    assert max(counts.values()) <= MAX_QUERIES
    with django_assert_max_num_queries(MAX_QUERIES):
        clients["carol"].get(f"/orgs/acme/projects/{project.pk}/tasks", limit=500)
