"""Fixtures for the API-as-a-client tests: a populated "acme" world (``tests/support/world.py``;
its fingerprint is in ``tests/support/assertions.py``).

``world`` holds real objects of acme (a project, one of its tasks, an approval request, an
organization template, a draft template, a closable project ...). The heavier ones are built on
first use, so a test pays only for what it touches.
"""

from __future__ import annotations

import pytest

from tests.support.world import World


@pytest.fixture
def world(
    org,
    alice,
    bob,
    carol,
    dave,
    erin,
    frank,
    grace,
    mallory,
    entity,
    entity_yunfan,
    project,
    amazon_na,
) -> World:
    users = {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "erin": erin,
        "frank": frank,
        "grace": grace,
        "mallory": mallory,
    }
    return World(
        org=org,
        users=users,
        entity=entity,
        entity_yunfan=entity_yunfan,
        project=project,
        amazon_na=amazon_na,
    )
