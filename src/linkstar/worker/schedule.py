"""Periodic jobs. Each app lists its own in ``linkstar.<app>.tasks.PERIODIC``; the scheduler
inside ``linkstar worker`` collects them from the installed apps and enqueues each once per
period, whatever the number of workers (a unique row per job and period decides who)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Periodic:
    name: str  # stable, unique: "delivery.scan_reminders"
    every: dt.timedelta  # the period; a run is due once per slot of this length
    task: Any  # a django_tasks Task, enqueued without arguments
