"""Imports (导入): upload → mapping (guessed, remembered per organization and kind) → preview
with every row's errors → run in the background, all rows or none, audited.

Projects are created by the project services' batch machinery (the same checks, codes, tasks,
audit events and risk detection as the batch wizard); the tracker's stages and per-task
status/assignee/due columns are then applied by :func:`apply_imported_states`. Entities go
through ``entities.services.create_entity`` and members through ``accounts.services.add_member``.
"""

from linkstar.exchange.services.mapping import (
    fingerprint,
    guess_mapping,
    mapped_rows,
    remember_mapping,
)
from linkstar.exchange.services.running import run_import, start_import
from linkstar.exchange.services.tracker_states import apply_imported_states
from linkstar.exchange.services.uploading import (
    PREVIEW_ROWS,
    check_rows,
    create_import,
    max_rows,
    update_import_mapping,
)

__all__ = [
    "PREVIEW_ROWS",
    "apply_imported_states",
    "check_rows",
    "create_import",
    "fingerprint",
    "guess_mapping",
    "mapped_rows",
    "max_rows",
    "remember_mapping",
    "run_import",
    "start_import",
    "update_import_mapping",
]
