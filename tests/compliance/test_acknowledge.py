"""Acknowledging an association risk: the manager's documented business reason, audited."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.compliance.services import acknowledge_risk
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.compliance.conftest import identify, open_store
from tests.conftest import actor_of

PHONE = "13800138000"


@pytest.fixture
def pair(as_bob, seller_a, seller_b):
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    return first, second


@pytest.fixture
def risk(pair):
    return AssociationRisk.objects.get(project=pair[0])


def test_the_manager_acknowledges_with_a_reason_and_it_is_audited(risk, as_bob, pair):
    acknowledge_risk(actor=as_bob, risk=risk, reason="the phone was replaced before submission")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED
    assert risk.acknowledged_by_id == as_bob.user_id and risk.acknowledged_at is not None
    assert risk.reason == "the phone was replaced before submission"
    (event,) = AuditEvent.objects.filter(action="risk.acknowledged")
    assert event.project_id == pair[0].pk and event.object_id == str(risk.pk)
    assert event.changes["reason"]["after"] == "the phone was replaced before submission"
    assert event.changes["other_project"]["after"] == pair[1].code
    assert PHONE not in str(event.changes) and "***8000" in str(event.changes)
    # one side only: the other project's risk is acknowledged on its own
    assert AssociationRisk.objects.get(project=pair[1]).status == RiskStatus.OPEN


def test_an_admin_may_acknowledge(risk, as_alice):
    acknowledge_risk(actor=as_alice, risk=risk, reason="reviewed with the client")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED


@pytest.mark.parametrize("who", ["as_carol", "as_dave", "as_frank", "other_manager"])
def test_others_may_not_acknowledge(risk, who, request):
    with pytest.raises(PermissionDenied) as caught:
        acknowledge_risk(actor=request.getfixturevalue(who), risk=risk, reason="fine")
    assert "关联风险" in caught.value.detail
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()


def test_another_organizations_admin_gets_not_found(risk, other_org, mallory):
    with pytest.raises(NotFound):
        acknowledge_risk(actor=actor_of(other_org, mallory), risk=risk, reason="mine now")


@pytest.mark.parametrize("reason", ["", " \n ", "x" * 2001])
def test_a_reason_is_required(risk, as_bob, reason):
    with pytest.raises(InvalidInput) as caught:
        acknowledge_risk(actor=as_bob, risk=risk, reason=reason)
    assert caught.value.errors[0].field == "reason"
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_a_risk_is_acknowledged_once(risk, as_bob, as_alice):
    acknowledge_risk(actor=as_bob, risk=risk, reason="first")
    with pytest.raises(Conflict) as caught:
        acknowledge_risk(actor=as_alice, risk=risk, reason="second")
    assert caught.value.code == "risk_acknowledged"
    risk.refresh_from_db()
    assert risk.reason == "first"
