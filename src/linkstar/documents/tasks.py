"""Background jobs of the document vault: the retention of closed projects' documents."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linkstar.documents.retention import apply_retention_everywhere
from linkstar.worker.schedule import Periodic


@task()
def apply_document_retention() -> None:
    apply_retention_everywhere()


PERIODIC = [
    Periodic(name="documents.retention", every=dt.timedelta(days=1), task=apply_document_retention),
]
