"""The saving phase is one transaction; its progress is still seen from outside it."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from linkstar.exchange import progress, services
from linkstar.exchange.models import ImportJob, ImportStatus
from tests.support.exchange import xlsx


def _seen_by_another_connection(job_id: int) -> dict:
    """What a web process sees: the job row read over a connection of its own, with the
    reported progress laid over it, and the projects it can see."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT status, phase, processed, total FROM exchange_importjob WHERE id = %s",
                [job_id],
            )
            status, phase, processed, total = cursor.fetchone()
            cursor.execute("SELECT COUNT(*) FROM projects_storeproject")
            projects = cursor.fetchone()[0]
    finally:
        other.close()
    job = ImportJob(pk=job_id, status=status, phase=phase, processed=processed, total=total)
    progress.live(job)
    return {"status": status, "phase": job.phase, "processed": job.processed, "projects": projects}


@pytest.mark.django_db(transaction=True)
def test_the_saving_progress_is_seen_from_another_connection_during_the_transaction(
    as_bob, entity, amazon_na, settings, monkeypatch
):
    settings.LINKSTAR_IMPORT_CHUNK_ROWS = 2
    rows = [["店铺名称", "站点", "开店主体"]]
    rows += [[f"星河店 {i}", "amazon-us", entity.name] for i in range(5)]
    job = services.create_import(actor=as_bob, kind="projects", file_name="t.xlsx", data=xlsx(rows))
    services.start_import(actor=as_bob, job=job)
    seen = []
    report = progress.Reporter.__call__

    def observed(self, phase, processed):
        report(self, phase, processed)
        seen.append(_seen_by_another_connection(self.job_id))

    monkeypatch.setattr(progress.Reporter, "__call__", observed)
    job = services.run_import(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert [(s["phase"], s["processed"]) for s in seen] == [
        ("saving", 0),
        ("saving", 2),
        ("saving", 4),
        ("saving", 5),
    ]
    # the other connection saw the job running, and none of the projects before the commit
    assert {s["status"] for s in seen} == {ImportStatus.RUNNING}
    assert {s["projects"] for s in seen} == {0}
    # once done, nothing is left behind and the row says it all
    after = _seen_by_another_connection(job.pk)
    assert (after["status"], after["processed"], after["projects"]) == ("done", 5, 5)
    assert not progress._path(job.pk).exists()
