"""The structure rules that hold already (issue 14 §2), checked by the counting script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "structure.py"


def _script():
    spec = importlib.util.spec_from_file_location("structure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_module_writes_a_tasks_status():
    assert _script().status_writers() == ["linkstar.projects.services.status"]
