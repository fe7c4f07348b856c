"""Project codes stay unique when several people create projects for the same site at once.

Real threads, each with its own database connection, committing for real (transactional test):
on SQLite the IMMEDIATE transactions queue on the write lock; on PostgreSQL the code sequence row
is locked by its UPDATE until the transaction ends.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from linkstar.audit.models import AuditEvent
from linkstar.audit.services import verify_chain
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow, create_project, create_projects_batch

THREADS = 4
PER_THREAD = 5


def run_concurrently(work) -> list[BaseException]:
    """Run ``work(thread_index)`` in THREADS threads released together; return their errors."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


def expected_codes(n: int) -> list[str]:
    return [f"AMZ-US-{i:04d}" for i in range(1, n + 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_single_creations_get_distinct_consecutive_codes(org, as_bob, entity, amazon_na):
    def work(index: int) -> None:
        for j in range(PER_THREAD):
            create_project(
                actor=as_bob,
                template_id=amazon_na.pk,
                store_name=f"Store {index}-{j}",
                entity_id=entity.pk,
            )

    errors = run_concurrently(work)
    assert errors == []
    codes = sorted(StoreProject.objects.filter(organization=org).values_list("code", flat=True))
    assert codes == expected_codes(THREADS * PER_THREAD)
    result = verify_chain(organization_id=org.pk)
    assert result.ok, result.reason
    assert result.checked == AuditEvent.objects.filter(organization=org).count()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_get_distinct_consecutive_codes(org, as_bob, entity, amazon_na):
    def work(index: int) -> None:
        create_projects_batch(
            actor=as_bob,
            template_id=amazon_na.pk,
            rows=[
                ProjectRow(store_name=f"Batch {index}-{j}", entity_id=entity.pk)
                for j in range(PER_THREAD)
            ],
        )

    errors = run_concurrently(work)
    assert errors == []
    projects = StoreProject.objects.filter(organization=org).order_by("code")
    assert [p.code for p in projects] == expected_codes(THREADS * PER_THREAD)
    # Each batch got one block of consecutive numbers.
    by_batch: dict[str, list[int]] = {}
    for p in projects:
        by_batch.setdefault(p.store_name.split("-")[0], []).append(int(p.code[-4:]))
    for numbers in by_batch.values():
        assert numbers == list(range(numbers[0], numbers[0] + PER_THREAD))
    assert verify_chain(organization_id=org.pk).ok
