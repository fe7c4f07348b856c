"""The structure rules that hold (issue 14 §2): the counting script's figures and the import
contracts of pyproject.toml (import-linter)."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "structure.py"


def _script():
    spec = importlib.util.spec_from_file_location("structure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_module_writes_a_tasks_status():
    assert _script().status_writers() == ["linkstar.projects.services.status"]


def test_no_module_imports_a_jobs_module_they_are_enqueued_by_name():
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
    from linkstar.core import jobs
    from linkstar.delivery.tasks import process_events

    assert jobs.job("delivery.process_events") is process_events
    for name in ("notifications.nothing", "nothing.process_events", "process_events"):
        with pytest.raises(LookupError):
            jobs.job(name)


def test_test_modules_import_helpers_from_tests_support_only():
    """Shared helpers live in ``tests/support`` (issue 14): no module under ``tests`` (conftest,
    test module or helper) imports from a test module, a conftest or anything else outside
    ``tests.support``."""
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


def test_imports_sit_at_the_top_of_modules_but_where_django_needs_them():
    """No import hides inside a function (and with it an import cycle), except in the command
    line, ``apps.py`` and the restore, which run before Django's app registry exists."""
    found = _script().counts()
    assert found["hidden"] == [] and found["inside"] == []


def test_no_import_cycle_between_the_apps_domains():
    """Models, rules, selectors and services of the apps import each other without a cycle
    (pyproject.toml's layers contract gives the order); pages and the API sit above them all,
    and core in no cycle at all."""
    found = _script().counts()
    assert found["domain_cycles"] == []
    assert "core" not in {app for group in found["cycles"] for app in group}


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is not installed")  # fmt: skip
def test_the_import_contracts_hold():
    """pyproject.toml's [tool.importlinter] contracts: core and audit know no domain, selectors
    no services, rules neither, domain modules no pages or API, no service a job module, and
    the apps' domain in layers."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=SCRIPT.parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
