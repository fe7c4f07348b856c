from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def checkpoint_file(settings, tmp_path):
    """Each test its own checkpoint file (the one under the data dir is shared by the test
    processes, whose databases reuse organization ids)."""
    path = tmp_path / "audit" / "checkpoints.jsonl"
    settings.LINKSTAR_AUDIT_CHECKPOINT_FILE = str(path)
    return path
