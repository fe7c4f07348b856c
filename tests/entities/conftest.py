"""An entity with one record of every kind and a store credential, with the plain values the
tests search for everywhere they must not be."""

from __future__ import annotations

import pytest

from tests.support.vault import Vault, make_vault


@pytest.fixture
def vault(as_alice, as_bob, entity, project) -> Vault:
    """Every kind of record on the `entity` (Xinghe), and two credentials on bob's `project`."""
    return make_vault(as_alice, as_bob, entity, project)
