"""The scheduled backup: once a day when ``LINKSTAR_BACKUP_DIR`` is set (see
``services.run_scheduled_backup`` for the retention and why two workers cannot collide)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks import task

from linkstar.backups import services
from linkstar.worker.schedule import Periodic


@task()
def daily_backup() -> dict:
    return services.run_scheduled_backup()


PERIODIC = (
    [Periodic(name="backups.daily", every=dt.timedelta(days=1), task=daily_backup)]
    if settings.LINKSTAR_BACKUP_DIR
    else []
)
