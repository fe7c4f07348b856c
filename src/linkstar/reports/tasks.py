"""Background jobs of the reports: the nightly rebuild of every organization's facts and
aggregates, and a frequent catch-up of the projects changed since their facts were computed."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.accounts.models import Organization
from linkstar.reports.facts import rebuild_all, refresh_changed
from linkstar.worker.schedule import Periodic


@task()
def rebuild_reports() -> None:
    rebuild_all()


@task()
def refresh_changed_projects() -> None:
    for organization in Organization.objects.order_by("pk"):
        refresh_changed(organization)


PERIODIC = [
    Periodic(name="reports.rebuild", every=dt.timedelta(hours=24), task=rebuild_reports),
    Periodic(
        name="reports.refresh_changed",
        every=dt.timedelta(minutes=10),
        task=refresh_changed_projects,
    ),
]
