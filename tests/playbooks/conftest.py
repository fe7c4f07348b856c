"""Fixtures for the SOP template tests: a second organization's actor, blueprints, audit trail."""

from __future__ import annotations

import pytest
from django.utils import translation

from linkstar.audit.models import AuditEvent
from linkstar.core.actors import Actor
from linkstar.playbooks.models import Template
from linkstar.playbooks.services import create_template
from tests.support.seed import actor_of


@pytest.fixture
def english_messages():
    """For tests that read error messages: they must not depend on the zh-hans catalogue.
    Used by module (``pytestmark``), not autouse, so that other tests here are unaffected."""
    with translation.override("en"):
        yield


@pytest.fixture
def as_mallory(other_org, mallory) -> Actor:
    return actor_of(other_org, mallory)


@pytest.fixture
def blueprint():
    """``blueprint("key", depends_on=[...], ...)`` → a valid task blueprint as the API takes it."""

    def make(key: str, **fields) -> dict:
        return {
            "key": key,
            "title": f"Task {key}",
            "phase": "documents",
            "offset_days": 0,
            "duration_days": 1,
            "depends_on": [],
            "document_types": [],
            "approval_levels": 0,
            "checklist": [],
            **fields,
        }

    return make


@pytest.fixture
def three_tasks(blueprint) -> list[dict]:
    """A valid little plan: prepare → submit (under review) → open."""
    return [
        blueprint("prepare", document_types=["business_license"]),
        blueprint(
            "submit",
            phase="registration",
            depends_on=["prepare"],
            approval_levels=1,
            sets_stage="under_review",
        ),
        blueprint("open", phase="launch", depends_on=["submit"], sets_stage="opened"),
    ]


@pytest.fixture
def acme_template(as_alice) -> Template:
    """An empty organization template of acme, with its draft version 1."""
    return create_template(actor=as_alice, name="Acme Amazon US", site="amazon-us")


@pytest.fixture
def evil_template(as_mallory) -> Template:
    return create_template(actor=as_mallory, name="Evil Amazon US", site="amazon-us")


@pytest.fixture
def audit_actions(org):
    """``audit_actions()`` → the actions of acme's audit trail so far, oldest first."""

    def actions() -> list[str]:
        return list(
            AuditEvent.objects.filter(organization=org)
            .order_by("seq")
            .values_list("action", flat=True)
        )

    return actions
