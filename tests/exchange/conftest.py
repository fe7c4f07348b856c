"""Fixtures of the import tests: trackers built with openpyxl as people keep them."""

from __future__ import annotations

import pytest

from tests.support.exchange import xlsx


@pytest.fixture
def make_xlsx():
    return xlsx
