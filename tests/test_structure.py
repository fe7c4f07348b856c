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


def test_no_module_imports_a_jobs_module_they_are_enqueued_by_name():
    import re

    root = SCRIPT.parents[1] / "src" / "linkstar"
    importing = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
        and re.search(
            r"from linkstar\.\w+\.tasks import|import linkstar\.\w+\.tasks", path.read_text()
        )
    )
    assert importing == []


def test_a_job_is_found_by_its_name_and_an_unknown_name_is_refused():
    import pytest

    from linkstar.core import jobs
    from linkstar.notifications.tasks import process_events

    assert jobs.job("notifications.process_events") is process_events
    for name in ("notifications.nothing", "nothing.process_events", "process_events"):
        with pytest.raises(LookupError):
            jobs.job(name)


def test_test_modules_import_helpers_from_tests_support_only():
    """Shared helpers live in ``tests/support`` (issue 14): no module under ``tests`` (conftest,
    test module or helper) imports from a test module, a conftest or anything else outside
    ``tests.support``."""
    import ast

    tests = Path(__file__).resolve().parent
    offending = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    names = [f"{'.' * node.level}{node.module or ''}"]
                elif node.module == "tests":
                    names = [f"tests.{alias.name}" for alias in node.names]
                else:
                    names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                local = name.startswith(".") or name == "tests" or name.startswith("tests.")
                if local and name != "tests.support" and not name.startswith("tests.support."):
                    offending.append(f"{path.relative_to(tests)}:{node.lineno} {name}")
    assert offending == []
