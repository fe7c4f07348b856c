"""The periodic checkpoint of the audit chains (see ``services.write_checkpoints``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_tasks import task

from linkstar.audit import services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Periodic:
    """The shape of ``linkstar.worker.schedule.Periodic``, which the audit app may not import
    (the audit trail sits below the worker in the layers; the scheduler reads these fields)."""

    name: str
    every: dt.timedelta
    task: Any


@task()
def checkpoint_chains() -> dict:
    run = services.write_checkpoints(reason="periodic")
    for org_id, slug, reason in run.refused:
        log.error("audit chain of %s (#%s) not checkpointed: %s", slug, org_id, reason)
    return {"written": len(run.written), "refused": [slug for _, slug, _ in run.refused]}


PERIODIC = (
    [
        _Periodic(
            name="audit.checkpoint",
            every=dt.timedelta(minutes=settings.LINKSTAR_AUDIT_CHECKPOINT_MINUTES),
            task=checkpoint_chains,
        )
    ]
    if settings.LINKSTAR_AUDIT_CHECKPOINT_MINUTES > 0
    else []
)
