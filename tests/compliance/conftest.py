"""Fixtures of the compliance tests: seller entities whose identifiers and documents the test
writes itself (rows, as the entity and vault services would leave them), and stores opened on
any catalog site through the real project services."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks
from linkstar.projects.services import create_project
from tests.support.compliance import GATE_TASKS, seller


@pytest.fixture
def gate_template(as_alice):
    template = create_template(actor=as_alice, name="Gate SOP", site="amazon-us")
    version = template.versions.get(number=1)
    replace_draft_tasks(actor=as_alice, version=version, tasks=GATE_TASKS)
    publish_version(actor=as_alice, version=version)
    return template


@pytest.fixture
def seller_a(org):
    return seller(org, "深圳市甲乙电子商务有限公司")


@pytest.fixture
def seller_b(org):
    return seller(org, "广州市丙丁贸易有限公司")


@pytest.fixture
def today(org):
    from linkstar.projects.services import org_today

    return org_today(org)


@pytest.fixture
def gated(as_bob, gate_template, seller_a, carol, today):
    """A project on the gate template starting in 10 days (so its submission, the due date of
    "submit", is in 20 days), bob its manager, carol on the team; no documents yet."""
    return create_project(
        actor=as_bob,
        template_id=gate_template.pk,
        store_name="Gate Shop US",
        entity_id=seller_a.pk,
        start_date=today + dt.timedelta(days=10),
        members=[carol.pk],
    )


PLAIN_TASKS = [
    {"key": "prepare", "title": "Prepare", "phase": "documents", "duration_days": 1},
    {
        "key": "submit",
        "title": "Submit",
        "phase": "registration",
        "offset_days": 1,
        "duration_days": 1,
        "depends_on": ["prepare"],
        "sets_stage": "under_review",
    },
]


@pytest.fixture
def plain_template(as_alice):
    """A plan whose tasks need no documents: readiness is always 100 %."""
    template = create_template(actor=as_alice, name="Plain SOP", site="amazon-us")
    version = template.versions.get(number=1)
    replace_draft_tasks(actor=as_alice, version=version, tasks=PLAIN_TASKS)
    publish_version(actor=as_alice, version=version)
    return template
