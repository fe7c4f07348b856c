"""``linkstar manage documents_sweep``: delete stored files that no document row points at."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from linkstar.documents.services import sweep_orphan_files


class Command(BaseCommand):
    help = (
        "Delete vault files that no document points at (left by uploads whose transaction was "
        "rolled back), older than --hours (default 6)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=6.0)

    def handle(self, *args, hours: float, **options):
        removed = sweep_orphan_files(older_than=dt.timedelta(hours=hours))
        for name in removed:
            self.stdout.write(f"deleted {name}")
        self.stdout.write(f"{len(removed)} orphan file(s) deleted")
