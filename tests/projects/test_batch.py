"""create_projects_batch: all rows or none, shared members, a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.notifications.models import Event
from linkstar.projects.models import (
    ProjectCodeSequence,
    StageChange,
    StoreProject,
    Task,
)
from linkstar.projects.services import ProjectRow, create_project, create_projects_batch
from linkstar.reports.facts import REFRESH_QUERIES as REPORT_FACT_QUERIES
from linkstar.reports.models import ProjectFact

START = dt.date(2026, 11, 2)


def _counts() -> tuple[int, ...]:
    return (
        StoreProject.objects.count(),
        Task.objects.count(),
        Task.depends_on.through.objects.count(),
        StoreProject.members.through.objects.count(),
        StageChange.objects.count(),
        AuditEvent.objects.count(),
        ProjectCodeSequence.objects.count(),
    )


def _rows(entity, n: int, **extra) -> list[ProjectRow]:
    return [ProjectRow(store_name=f"Store {i:03d}", entity_id=entity.pk, **extra) for i in range(n)]


def _batch(actor, template, rows, **kwargs):
    return create_projects_batch(
        actor=actor, template_id=template.pk, rows=rows, start_date=START, **kwargs
    )


def test_each_row_becomes_a_project_with_its_tasks(as_bob, amazon_na, entity, bob):
    created = _batch(as_bob, amazon_na, _rows(entity, 3))
    assert len(created) == 3 == StoreProject.objects.count()
    assert [p.code for p in created] == ["AMZ-US-0001", "AMZ-US-0002", "AMZ-US-0003"]
    n = amazon_na.versions.get(number=1).blueprints.count()
    for project in created:
        project.refresh_from_db()
        assert project.manager == bob
        assert project.task_count == n == project.tasks.count()
        assert project.start_date == START
        review = project.tasks.get(key="review-document-pack")
        assert set(review.depends_on.values_list("project_id", flat=True)) == {project.pk}
        assert review.assignee == bob
    assert AuditEvent.objects.filter(action="project.created").count() == 3


def test_shared_members_join_every_project(as_bob, amazon_na, entity, carol, dave):
    rows = _rows(entity, 2)
    rows[1].members = [dave.pk]
    created = _batch(as_bob, amazon_na, rows, members=[carol.pk])
    assert set(created[0].members.all()) == {carol}
    assert set(created[1].members.all()) == {carol, dave}


def test_rows_may_name_their_site_and_manager(as_alice, amazon_na, entity, bob):
    rows = [
        ProjectRow(store_name="A", entity_id=entity.pk, manager_id=bob.pk),
        ProjectRow(store_name="A", entity_id=entity.pk, site="amazon-ca"),
    ]
    created = _batch(as_alice, amazon_na, rows)
    assert [p.code for p in created] == ["AMZ-US-0001", "AMZ-CA-0001"]
    assert created[0].manager == bob
    assert created[1].manager is None


def _entity_from(request):
    return request.getfixturevalue("entity")


BAD_ROWS = {
    "unknown entity": ("entity_id", lambda r: {"entity_id": 987654}),
    "duplicate store and site": ("store_name", lambda r: {"store_name": "Store 000"}),
    "site not of the template": ("site", lambda r: {"site": "amazon-de"}),
    "operator as manager": ("manager_id", lambda r: {"manager_id": r.getfixturevalue("carol").pk}),
    "empty store name": ("store_name", lambda r: {"store_name": ""}),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_one_bad_row_refuses_the_whole_batch_naming_the_row(
    request, case, as_bob, amazon_na, entity
):
    """``row`` is the index into ``rows`` (API.md: ``"row": i``): the third row is row 2."""
    field, make = BAD_ROWS[case]
    rows = _rows(entity, 4)
    for name, value in make(request).items():
        setattr(rows[2], name, value)
    before = _counts()
    with pytest.raises(InvalidInput) as caught:
        _batch(as_bob, amazon_na, rows)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, field)]
    assert caught.value.detail.startswith("row 2: ")
    assert _counts() == before


def test_nothing_of_a_refused_batch_remains_so_the_next_code_is_0001(as_bob, amazon_na, entity):
    rows = _rows(entity, 3)
    rows[2].entity_id = 987654
    with pytest.raises(InvalidInput):
        _batch(as_bob, amazon_na, rows)
    assert not StoreProject.objects.exists()
    assert not Task.objects.exists()
    assert not AuditEvent.objects.filter(action="project.created").exists()
    assert not ProjectCodeSequence.objects.exists()
    created = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="After", entity_id=entity.pk
    )
    assert created.code == "AMZ-US-0001"


def test_every_bad_row_is_named(as_bob, amazon_na, entity, project):
    rows = _rows(entity, 4)
    rows[0].store_name = "Xinghe Home US"  # exists already
    rows[1].entity_id = None
    rows[3].store_name = "Store 002"  # the same as row 2
    with pytest.raises(InvalidInput) as caught:
        _batch(as_bob, amazon_na, rows)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (0, "store_name"),
        (1, "entity_id"),
        (3, "store_name"),
    ]


def test_shared_member_outside_the_organization_refuses_the_batch(
    as_bob, amazon_na, entity, mallory
):
    with pytest.raises(InvalidInput) as caught:
        _batch(as_bob, amazon_na, _rows(entity, 2), members=[mallory.pk])
    assert {e.field for e in caught.value.errors} == {"members"}
    assert not StoreProject.objects.exists()


def test_empty_batch_is_refused(as_bob, amazon_na):
    with pytest.raises(InvalidInput) as caught:
        _batch(as_bob, amazon_na, [])
    assert caught.value.errors[0].field == "rows"


def test_batch_larger_than_the_limit_is_refused(as_bob, amazon_na, entity, settings):
    settings.LINKSTAR_BATCH_MAX_ROWS = 3
    with pytest.raises(InvalidInput) as caught:
        _batch(as_bob, amazon_na, _rows(entity, 4))
    assert caught.value.errors[0].field == "rows"
    assert not StoreProject.objects.exists()


def test_operator_cannot_create_a_batch(as_carol, amazon_na, entity):
    with pytest.raises(PermissionDenied):
        _batch(as_carol, amazon_na, _rows(entity, 2))
    assert not StoreProject.objects.exists()


def _queries_of_batch(actor, template, entity, n: int, prefix: str) -> list[str]:
    rows = [ProjectRow(store_name=f"{prefix} {i}", entity_id=entity.pk) for i in range(n)]
    with CaptureQueriesContext(connection) as ctx:
        _batch(actor, template, rows, members=[actor.user_id])
    return [q["sql"] for q in ctx.captured_queries]


def _statements(sqls: list[str]) -> int:
    """Queries, counting each table's bulk INSERT once: SQLite caps a statement at 999 parameters
    (Django's ``max_query_params``), so there a large bulk insert is split in chunks; that split
    is the backend's, not a query per row."""
    inserts = {re.match(r'INSERT INTO "?(\w+)', s).group(1) for s in sqls if s.startswith("INSERT")}
    return len([s for s in sqls if not s.startswith("INSERT")]) + len(inserts)


def test_query_count_of_a_batch_does_not_grow_with_its_rows(as_bob, amazon_na, entity):
    # warm up: the code sequence row and the audit chain head exist afterwards in both runs
    _queries_of_batch(as_bob, amazon_na, entity, 1, "warm")
    five = _queries_of_batch(as_bob, amazon_na, entity, 5, "five")
    fifty = _queries_of_batch(as_bob, amazon_na, entity, 50, "fifty")
    assert _statements(fifty) == _statements(five)
    if connection.features.max_query_params is None:  # PostgreSQL: no chunking at all
        assert len(fifty) == len(five)


# Measured: 25 statements for a batch of any size (PostgreSQL), first use of a code prefix. Tasks
# and their dependencies are two executemany statements whatever their number, with one read of
# the new task ids between them. Two more choose who does each role (issue 12 §3.1): the team's
# organization roles, and their open tasks. One more reads the organization's working-day
# calendar (issue 14 §1).
MAX_QUERIES_PER_BATCH = 31
# The association-risk detection of the new projects (issues 4 and 12): eight reads (the new
# projects, the sites, their entities' and their own identifiers, the projects sharing those
# digests through an entity or a store, the entity's projects on the same sites, the existing
# risks), a savepoint around the one bulk insert of the risks found.
RISK_DETECTION_QUERIES = 11


def _sqlite_chunks(model, n: int) -> int:
    """How many extra INSERT statements the backend needs to insert ``n`` rows of ``model``."""
    if connection.features.max_query_params is None:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return -(-n // connection.ops.bulk_batch_size(fields, [None] * n)) - 1


def test_fifty_row_batch_stays_within_the_query_budget(as_bob, amazon_na, entity, carol):
    version = amazon_na.versions.get(number=1)
    n_tasks = 50 * version.blueprints.count()
    n_deps = 50 * sum(len(bp.depends_on) for bp in version.blueprints.all())
    budget = (
        MAX_QUERIES_PER_BATCH
        + _sqlite_chunks(StoreProject, 50)
        + 1  # the project.created events, one insert
        + _sqlite_chunks(Event, 50)
        + REPORT_FACT_QUERIES  # the projects' facts and forecasts, one pass for all
        + _sqlite_chunks(ProjectFact, 50)
    )
    with CaptureQueriesContext(connection) as ctx:
        created = _batch(as_bob, amazon_na, _rows(entity, 50), members=[carol.pk])
    # 50 stores of one entity on one site share its identifiers: risks, inserted in bulk
    budget += RISK_DETECTION_QUERIES + _sqlite_chunks(
        AssociationRisk, AssociationRisk.objects.count()
    )
    assert len(ctx.captured_queries) <= budget
    assert len(created) == 50
    assert Task.objects.count() == n_tasks
    assert Task.depends_on.through.objects.count() == n_deps
    assert StoreProject.members.through.objects.count() == 50
