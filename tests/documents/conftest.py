"""Vault fixtures: the storage folder of the test, and an actor for each named user."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.support.seed import actor_of


@pytest.fixture
def vault_dir() -> Path:
    """Where this test's documents are stored (tests/conftest.py points the storage there)."""
    return Path(settings.STORAGES["documents"]["OPTIONS"]["location"])


@pytest.fixture
def actors(org, alice, bob, carol, dave, frank, grace):
    users = {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "frank": frank}
    users["grace"] = grace
    return {name: actor_of(org, user) for name, user in users.items()}


@pytest.fixture
def as_mallory(other_org, mallory):
    return actor_of(other_org, mallory)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English msgids (Chinese is checked on its own)."""
    from django.utils import translation

    with translation.override("en"):
        yield
