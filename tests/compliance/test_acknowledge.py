"""Acknowledging an association risk: once for the pair, by a manager of either project or an
admin, with a documented business reason, audited; several at once, all or nothing."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, CloseReason, RiskStatus
from linkstar.compliance.services import (
    acknowledge_risk,
    acknowledge_risks,
    on_identifiers_changed,
    open_risks,
)
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from linkstar.projects.models import StoreProject
from tests.support.compliance import identify, open_store, seller
from tests.support.seed import actor_of

PHONE = "13800138000"
SHARED = [
    ("phone", PHONE),
    ("email", "boss@example.com"),
    ("address", "深圳市南山区科技园 1 号"),
    ("card", "4111 1111 1111 1111"),
]


@pytest.fixture
def pair(as_bob, seller_a, seller_b):
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    return first, second


@pytest.fixture
def risk(pair):
    return AssociationRisk.objects.get(project=pair[0], other_project=pair[1])


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
    assert PHONE not in str(event.changes) and "********000" in str(event.changes)
    # once for the pair: neither side is blocked any more
    assert AssociationRisk.objects.count() == 1
    assert list(open_risks(pair[0])) == [] and list(open_risks(pair[1])) == []


def test_an_admin_may_acknowledge(risk, as_alice):
    acknowledge_risk(actor=as_alice, risk=risk, reason="reviewed with the client")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED


def test_the_manager_of_either_project_may_acknowledge(
    as_bob, as_alice, other_manager, seller_a, seller_b
):
    """bob manages the first store, the other manager the second: the other manager may accept
    the pair too."""
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(other_manager, seller_b, "amazon-us", "B US")
    assert (first.manager_id, second.manager_id) == (as_bob.user_id, other_manager.user_id)
    risk = AssociationRisk.objects.get()
    assert risk.project_id == first.pk  # the other manager's project is the second side
    acknowledge_risk(actor=other_manager, risk=risk, reason="the client's own decision")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED
    assert risk.acknowledged_by_id == other_manager.user_id


def test_an_operator_who_cannot_see_either_project_gets_not_found(risk, as_carol):
    with pytest.raises(NotFound):
        acknowledge_risk(actor=as_carol, risk=risk, reason="fine")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


@pytest.mark.parametrize("who", ["as_carol", "as_dave", "as_frank", "other_manager"])
def test_others_may_not_acknowledge(risk, who, request, pair, carol):
    pair[1].members.add(carol)  # carol sees the pair through the second project's team
    with pytest.raises(PermissionDenied) as caught:
        acknowledge_risk(actor=request.getfixturevalue(who), risk=risk, reason="fine")
    assert "关联风险" in caught.value.detail
    # names the pair, as far as the caller may see it (carol is on the second project only)
    assert pair[1].code in caught.value.detail
    shown_first = pair[0].code if who != "as_carol" else "另一个项目"
    assert f"{shown_first} ~ {pair[1].code}" in caught.value.detail
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()


def test_another_organizations_admin_gets_not_found(risk, other_org, mallory):
    with pytest.raises(NotFound):
        acknowledge_risk(actor=actor_of(other_org, mallory), risk=risk, reason="mine now")
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


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


def test_a_closed_risk_cannot_be_acknowledged(risk, as_bob, seller_b):
    seller_b.identifiers.all().delete()
    on_identifiers_changed(seller_b)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED
    assert risk.close_reason == CloseReason.IDENTIFIERS_CHANGED
    with pytest.raises(Conflict) as caught:
        acknowledge_risk(actor=as_bob, risk=risk, reason="late")
    assert caught.value.code == "risk_closed"
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED and risk.reason == ""


# --- several at once ---------------------------------------------------------------------------


@pytest.fixture
def three(as_bob, org, seller_a):
    """seller_a's US store shares one identifier each with three other entities' US stores:
    three risks."""
    for kind, value in SHARED:
        identify(seller_a, kind, value)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    others = []
    for i, (kind, value) in enumerate(SHARED[:3]):
        entity = seller(org, f"其他主体 {i}")
        identify(entity, kind, value)
        others.append(open_store(as_bob, entity, "amazon-us", f"O{i} US"))
    risks = list(AssociationRisk.objects.order_by("other_project_id"))
    assert [(r.project_id, r.other_project_id) for r in risks] == [(first.pk, o.pk) for o in others]
    return risks


def test_several_risks_are_acknowledged_with_one_reason_each_audited(three, as_bob):
    done = acknowledge_risks(
        actor=as_bob, risk_ids=[r.pk for r in three], reason="one client, one phone line"
    )
    assert sorted(r.pk for r in done) == sorted(r.pk for r in three)
    for risk in AssociationRisk.objects.all():
        assert risk.status == RiskStatus.ACKNOWLEDGED
        assert risk.reason == "one client, one phone line"
        assert risk.acknowledged_by_id == as_bob.user_id
    events = AuditEvent.objects.filter(action="risk.acknowledged").order_by("object_id")
    assert sorted(e.object_id for e in events) == sorted(str(r.pk) for r in three)
    assert {e.project_id for e in events} == {three[0].project_id}  # the pair's first project
    assert {e.changes["other_project"]["after"] for e in events} == {
        r.other_project.code for r in three
    }


def test_an_invisible_risk_refuses_the_whole_request(three, as_bob, other_org, mallory, org):
    from linkstar.compliance.services import detect_risks

    evil = seller(other_org, "Evil")
    identify(evil, "phone", PHONE)
    evil_one = seller(other_org, "Evil 2")
    identify(evil_one, "phone", PHONE)
    as_mallory = actor_of(other_org, mallory)
    e1 = open_store(as_mallory, evil, "amazon-us", "E1")
    e2 = open_store(as_mallory, evil_one, "amazon-us", "E2")
    detect_risks(organization=other_org, projects=[e1, e2])
    theirs = AssociationRisk.objects.get(organization=other_org)
    with pytest.raises(NotFound) as caught:
        acknowledge_risks(
            actor=as_bob, risk_ids=[three[0].pk, theirs.pk, 987654], reason="all of them"
        )
    assert str(theirs.pk) in caught.value.detail and "987654" in caught.value.detail
    assert "关联风险" in caught.value.detail
    assert not AssociationRisk.objects.exclude(status=RiskStatus.OPEN).exists()
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()


def test_a_risk_the_actor_may_not_accept_refuses_the_whole_request_naming_the_pair(
    three, as_bob, other_manager
):
    """other_manager manages one store of a fourth pair; bob's three pairs are not theirs."""
    mine = StoreProject.objects.get(pk=three[0].project_id)
    entity = seller(mine.organization, "另一个主体")
    identify(entity, *SHARED[3])
    theirs = open_store(other_manager, entity, "amazon-us", "M US")
    fourth = AssociationRisk.objects.get(other_project=theirs, project=mine)
    with pytest.raises(PermissionDenied) as caught:
        acknowledge_risks(
            actor=other_manager, risk_ids=[fourth.pk, three[1].pk], reason="client decision"
        )
    other = StoreProject.objects.get(pk=three[1].other_project_id)
    assert f"{mine.code} ~ {other.code}" in caught.value.detail
    assert not AssociationRisk.objects.exclude(status=RiskStatus.OPEN).exists()
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()
    # its own pair alone goes through
    (done,) = acknowledge_risks(actor=other_manager, risk_ids=[fourth.pk], reason="client")
    assert done.pk == fourth.pk and done.status == RiskStatus.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("make", "code"), [("acknowledged", "risk_acknowledged"), ("closed", "risk_closed")]
)
def test_an_acknowledged_or_closed_risk_refuses_the_whole_request(three, as_bob, make, code):
    target = three[2]
    if make == "acknowledged":
        acknowledge_risk(actor=as_bob, risk=target, reason="earlier")
    else:
        StoreProject.objects.get(pk=target.other_project_id).entity.identifiers.all().delete()
        on_identifiers_changed(StoreProject.objects.get(pk=target.other_project_id).entity)
        target.refresh_from_db()
        assert target.status == RiskStatus.CLOSED
    events_before = AuditEvent.objects.filter(action="risk.acknowledged").count()
    with pytest.raises(Conflict) as caught:
        acknowledge_risks(actor=as_bob, risk_ids=[r.pk for r in three], reason="all")
    assert caught.value.code == code
    assert StoreProject.objects.get(pk=target.other_project_id).code in caught.value.detail
    assert {
        r.status for r in AssociationRisk.objects.filter(pk__in=[three[0].pk, three[1].pk])
    } == {RiskStatus.OPEN}
    assert AuditEvent.objects.filter(action="risk.acknowledged").count() == events_before


@pytest.mark.parametrize("ids", [[], None])
def test_at_least_one_risk_is_needed(as_bob, ids, three):
    with pytest.raises(InvalidInput) as caught:
        acknowledge_risks(actor=as_bob, risk_ids=ids, reason="nothing")
    assert caught.value.errors[0].field == "risk_ids"


def test_the_reason_is_required_for_several_too(three, as_bob):
    with pytest.raises(InvalidInput) as caught:
        acknowledge_risks(actor=as_bob, risk_ids=[r.pk for r in three], reason=" ")
    assert caught.value.errors[0].field == "reason"
    assert not AssociationRisk.objects.exclude(status=RiskStatus.OPEN).exists()


def test_at_most_500_risks_at_once(as_bob, three):
    with pytest.raises(InvalidInput) as caught:
        acknowledge_risks(actor=as_bob, risk_ids=range(1, 502), reason="too many")
    assert caught.value.errors[0].field == "risk_ids"
    assert not AssociationRisk.objects.exclude(status=RiskStatus.OPEN).exists()
