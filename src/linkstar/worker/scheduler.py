"""The scheduler of periodic jobs: each ``Periodic`` of each installed app is enqueued once per
slot of its period, however many workers run it (a ``ScheduledRun(name, slot)`` row decides:
whoever inserts it enqueues)."""

from __future__ import annotations

import fnmatch
import importlib
import logging

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction

from linkstar.core import clock
from linkstar.worker.models import ScheduledRun
from linkstar.worker.schedule import Periodic

logger = logging.getLogger("linkstar.worker")


def collect_periodic() -> list[Periodic]:
    """``PERIODIC`` of ``linkstar.<app>.tasks`` for every installed LinkStar app."""
    found: list[Periodic] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("linkstar."):
            continue
        module_name = f"{config.name}.tasks"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        found.extend(getattr(module, "PERIODIC", []))
    disabled = [
        pattern.strip()
        for pattern in (settings.LINKSTAR_PERIODIC_DISABLED or "").split(",")
        if pattern.strip()
    ]
    found = [p for p in found if not any(fnmatch.fnmatchcase(p.name, d) for d in disabled)]
    names = [p.name for p in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"periodic job names used twice: {sorted(duplicates)}")
    return found


def slot_of(periodic: Periodic, moment) -> int:
    period = int(periodic.every.total_seconds())
    if period <= 0:
        raise ValueError(f"{periodic.name}: the period must be positive")
    return int(moment.timestamp()) // period


class Scheduler:
    """Remembers the slots this process has already settled, so that a tick costs no query for a
    job whose slot has not changed."""

    def __init__(self, periodics: list[Periodic] | None = None, *, worker_id: str = "") -> None:
        self.periodics = collect_periodic() if periodics is None else list(periodics)
        self.worker_id = worker_id
        self._settled: dict[str, int] = {}

    def tick(self, now=None) -> list[str]:
        """Enqueue every periodic job whose current slot has not run yet; the names enqueued
        by this call."""
        now = now or clock.now()
        enqueued: list[str] = []
        for periodic in self.periodics:
            slot = slot_of(periodic, now)
            if self._settled.get(periodic.name) == slot:
                continue
            try:
                # The row and the enqueue commit together (the DB backend's job row is in the
                # same transaction): a crash between them leaves neither, and the next tick
                # tries again. With RQ the job may be enqueued twice in the worst case, which
                # periodic jobs tolerate (they are idempotent).
                with transaction.atomic():
                    run = ScheduledRun.objects.create(
                        name=periodic.name, slot=slot, scheduled_at=now, worker_id=self.worker_id
                    )
                    result = periodic.task.enqueue()
                    run.job_id = str(result.id)
                    run.save(update_fields=["job_id"])
            except IntegrityError:
                pass  # another scheduler took this slot
            else:
                enqueued.append(periodic.name)
                logger.info("periodic job %s enqueued (slot %s)", periodic.name, slot)
            self._settled[periodic.name] = slot
        return enqueued
