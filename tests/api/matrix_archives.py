"""Permission-matrix entries of the archives app: exports, project archives, calendar feed."""

from __future__ import annotations

from tests.support.matrix import Case


def _archive_id(w) -> int:
    """An archive of bob's project, requested by bob, built."""
    from linkstar.archives.services import build_archive, request_archive

    if not hasattr(w, "_archive"):
        job = request_archive(actor=w.actor("bob"), project_ids=[w.project.pk])
        w._archive = build_archive(job_id=job.pk)
    return w._archive.pk


def _downloaded_archive_id(w) -> int:
    """The same archive, downloaded once by bob already (so the first-download audit event is
    written before the matrix compares the database)."""
    from linkstar.archives.services import open_archive

    job_id = _archive_id(w)
    if not hasattr(w, "_archive_downloaded"):
        open_archive(actor=w.actor("bob"), job=w._archive).close()
        w._archive_downloaded = True
    return job_id


def _org_with_carols_feed(w) -> str:
    from linkstar.archives.selectors import active_feed
    from linkstar.archives.services import create_calendar_feed

    carol = w.actor("carol")
    if active_feed(actor=carol) is None:
        create_calendar_feed(actor=carol)
    return "acme"


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/orgs/{org}/exports/projects.xlsx"): Case(ok="carol", status=200, binary=True),
    ("GET", "/orgs/{org}/exports/projects.csv"): Case(ok="carol", status=200, binary=True),
    ("GET", "/orgs/{org}/exports/tasks.xlsx"): Case(ok="carol", status=200, binary=True),
    ("GET", "/orgs/{org}/exports/tasks.csv"): Case(ok="carol", status=200, binary=True),
    ("POST", "/orgs/{org}/archives"): Case(
        ok="bob",
        status=202,
        denied=("carol", "dave", "grace"),
        body=lambda w: {"project_ids": [w.project.pk]},
    ),
    ("GET", "/orgs/{org}/archives"): Case(ok="carol", status=200),
    ("GET", "/orgs/{org}/archives/{archive_id}"): Case(
        ok="bob", status=200, client_hidden=True, ids={"archive_id": _archive_id}
    ),
    ("GET", "/orgs/{org}/archives/{archive_id}/download"): Case(
        ok="bob",
        status=200,
        client_hidden=True,
        binary=True,
        ids={"archive_id": _downloaded_archive_id},
    ),
    ("GET", "/orgs/{org}/calendar-feed"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/calendar-feed"): Case(ok="carol", status=201),
    ("DELETE", "/orgs/{org}/calendar-feed"): Case(
        ok="carol", status=204, ids={"org": _org_with_carols_feed}
    ),
}
