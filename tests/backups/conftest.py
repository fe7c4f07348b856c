"""Backups are tested as a person runs them: the ``linkstar`` command in subprocesses, each with
its own data directory (and, for PostgreSQL, its own throwaway databases), never the test
database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.backups import make_demo


@pytest.fixture(scope="package")
def demo_dir(tmp_path_factory) -> Path:
    """A data directory with the demo (users of every role, ~20 projects, the documents of every
    entity uploaded through the documents service) on SQLite."""
    data_dir = tmp_path_factory.mktemp("backup-source")
    make_demo(data_dir)
    return data_dir
