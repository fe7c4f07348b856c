"""5,000 projects export in bounded memory and a fixed number of queries (figures printed)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from tests.archives.test_exports import _clone_projects


@pytest.mark.slow
@pytest.mark.parametrize("path", ["projects.xlsx", "projects.csv"])
def test_five_thousand_projects_export_in_bounded_memory(
    api, alice, project, path, django_assert_max_num_queries
):
    _clone_projects(project, 4999)
    client = api(alice)
    url = f"/api/v1/orgs/acme/exports/{path}"
    client.client.get(url, **client._headers())  # warm up (token first use, imports)
    tracemalloc.start()
    started = time.perf_counter()
    with django_assert_max_num_queries(4):
        r = client.client.get(url, **client._headers())
        size = sum(len(chunk) for chunk in r.streaming_content)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n{path}: 5000 projects, {size / 1024:.0f} KiB in {elapsed:.2f} s, peak {peak / 2**20:.1f} MiB"
    )
    assert r.status_code == 200
    assert peak < 64 * 2**20
