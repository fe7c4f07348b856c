"""The gates: documents before a task is done, readiness and risks before under_review, and the
manager's override of the readiness gate."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.services import decide_approval
from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, ReadinessOverride
from linkstar.compliance.services import acknowledge_risk, override_readiness
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from linkstar.projects.models import Stage, StoreProject, Task, TaskStatus
from linkstar.projects.services import change_stage, skip_task, update_task
from tests.support.compliance import GATE_TYPES, document, identify, open_store
from tests.support.seed import actor_of


def task(project, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


def start(actor, t: Task) -> Task:
    return update_task(actor=actor, task=t, status=TaskStatus.IN_PROGRESS)


def fresh(project) -> StoreProject:
    return StoreProject.objects.get(pk=project.pk)


# --- task completion -------------------------------------------------------------------------


def test_a_task_cannot_be_done_while_its_documents_are_missing(gated, as_carol):
    t = start(as_carol, task(gated, "collect-id"))
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_carol, task=t, status=TaskStatus.DONE)
    assert caught.value.code == "documents_missing"
    assert "法人身份证正面" in caught.value.detail and "法人身份证反面" in caught.value.detail
    t.refresh_from_db()
    assert t.status == TaskStatus.IN_PROGRESS
    assert fresh(gated).finished_task_count == 0


def test_an_expired_document_blocks_too_and_is_named_with_its_date(
    gated, as_carol, seller_a, today
):
    document(seller_a, "business_license", expiry_date=today - dt.timedelta(days=2))
    t = start(as_carol, task(gated, "collect-licence"))
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_carol, task=t, status=TaskStatus.DONE)
    assert caught.value.code == "documents_missing"
    assert str(today - dt.timedelta(days=2)) in caught.value.detail


def test_with_valid_documents_the_task_is_done(gated, as_carol, seller_a, today):
    # expiring before the submission does not stop the task: only the stage gate cares
    document(seller_a, "business_license", expiry_date=today + dt.timedelta(days=3))
    t = update_task(
        actor=as_carol, task=start(as_carol, task(gated, "collect-licence")), status="done"
    )
    assert t.status == TaskStatus.DONE


def test_asking_for_approval_is_refused_while_documents_are_missing(gated, as_bob, as_carol):
    for key in ("collect-licence", "collect-id"):
        skip_task(actor=as_bob, task=task(gated, key), reason="on file")
    t = start(as_carol, task(gated, "check"))  # one approval level, needs the licence
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_carol, task=t, status=TaskStatus.DONE)
    assert caught.value.code == "documents_missing"
    assert not ApprovalRequest.objects.filter(task=t).exists()


def test_a_task_needing_no_documents_is_never_held(gated, as_bob, as_carol):
    for key in ("collect-licence", "collect-id", "check"):
        skip_task(actor=as_bob, task=task(gated, key), reason="on file")
    Task.objects.filter(project=gated, key="submit").update(sets_stage="")
    t = update_task(actor=as_carol, task=start(as_carol, task(gated, "submit")), status="done")
    assert t.status == TaskStatus.DONE


# --- the move to under_review ----------------------------------------------------------------


def test_the_stage_cannot_move_to_under_review_below_one_hundred_percent(gated, as_bob, seller_a):
    document(seller_a, "business_license")
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=gated, stage="under_review")
    assert caught.value.code == "readiness_incomplete"
    assert "25%" in caught.value.detail and "W-8BEN-E" in caught.value.detail
    assert fresh(gated).stage == Stage.PREPARING
    assert not AuditEvent.objects.filter(action="project.stage_changed").exists()


def test_other_moves_are_not_gated(gated, as_bob):
    change_stage(actor=as_bob, project=gated, stage="cancelled")
    assert fresh(gated).stage == Stage.CANCELLED


def test_at_one_hundred_percent_the_stage_moves(gated, as_bob, seller_a):
    for code in GATE_TYPES:
        document(seller_a, code)
    change_stage(actor=as_bob, project=gated, stage="under_review")
    assert fresh(gated).stage == Stage.UNDER_REVIEW


def test_a_document_expiring_before_the_submission_blocks_the_move(gated, as_bob, seller_a, today):
    for code in GATE_TYPES[1:]:
        document(seller_a, code)
    document(seller_a, "business_license", expiry_date=today + dt.timedelta(days=5))
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=gated, stage="under_review")
    assert caught.value.code == "readiness_incomplete"


def test_the_task_that_sets_under_review_meets_the_gate_before_its_approval(
    gated, as_bob, as_carol, seller_a
):
    """The approval is not even asked for while the move it would make is refused."""
    document(seller_a, "business_license")
    for key in ("collect-licence", "collect-id", "check"):
        skip_task(actor=as_bob, task=task(gated, key), reason="on file")
    Task.objects.filter(project=gated, key="submit").update(approval_levels=1)
    t = start(as_carol, task(gated, "submit"))
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_carol, task=t, status=TaskStatus.DONE)
    assert caught.value.code == "readiness_incomplete"
    assert not ApprovalRequest.objects.filter(task=t).exists()


def test_the_approval_that_would_move_the_stage_is_refused_when_the_gate_closed_since(
    gated, as_bob, as_carol, seller_a, org, dave
):
    docs = [document(seller_a, code) for code in GATE_TYPES]
    for key in ("collect-licence", "collect-id", "check"):
        skip_task(actor=as_bob, task=task(gated, key), reason="on file")
    Task.objects.filter(project=gated, key="submit").update(approval_levels=1)
    t = update_task(actor=as_carol, task=start(as_carol, task(gated, "submit")), status="done")
    assert t.status == TaskStatus.AWAITING_APPROVAL
    docs[-1].delete()  # the W-8BEN-E leaves the vault meanwhile
    approval = ApprovalRequest.objects.get(task=t)
    with pytest.raises(Conflict) as caught:
        decide_approval(actor=actor_of(org, dave), approval=approval, decision="approve")
    assert caught.value.code == "readiness_incomplete"
    assert fresh(gated).stage == Stage.PREPARING


# --- the override ----------------------------------------------------------------------------


def test_the_manager_overrides_with_a_reason_and_the_move_happens(gated, as_bob, seller_a):
    document(seller_a, "business_license")
    override = override_readiness(
        actor=as_bob, project=gated, reason="W-8BEN-E is signed at the tax interview"
    )
    assert override.percent == 25
    assert {(i["document_type"], i["status"]) for i in override.items} == {
        ("legal_rep_id_front", "missing"),
        ("legal_rep_id_back", "missing"),
        ("w8ben_e", "missing"),
    }
    (event,) = AuditEvent.objects.filter(action="project.readiness_overridden")
    assert event.project_id == gated.pk and event.actor_id == as_bob.user_id
    assert event.changes["reason"]["after"] == "W-8BEN-E is signed at the tax interview"
    assert event.changes["readiness"]["after"] == 25
    change_stage(actor=as_bob, project=gated, stage="under_review")
    assert fresh(gated).stage == Stage.UNDER_REVIEW


def test_an_admin_may_override_too(gated, as_alice):
    override_readiness(actor=as_alice, project=gated, reason="agreed with the client")
    assert ReadinessOverride.objects.filter(project=gated).count() == 1


@pytest.mark.parametrize("who", ["as_carol", "as_dave", "as_frank", "other_manager"])
def test_others_may_not_override(gated, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied) as caught:
        override_readiness(actor=actor, project=gated, reason="why not")
    assert "豁免" in caught.value.detail  # the reason, in the default language
    assert not ReadinessOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="project.readiness_overridden").exists()


def test_another_organizations_admin_gets_not_found(gated, other_org, mallory):
    with pytest.raises(NotFound):
        override_readiness(actor=actor_of(other_org, mallory), project=gated, reason="x")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_an_override_needs_a_reason(gated, as_bob, reason):
    with pytest.raises(InvalidInput) as caught:
        override_readiness(actor=as_bob, project=gated, reason=reason)
    assert caught.value.errors[0].field == "reason"
    assert not ReadinessOverride.objects.exists()


def test_there_is_nothing_to_override_at_one_hundred_percent(gated, as_bob, seller_a):
    for code in GATE_TYPES:
        document(seller_a, code)
    with pytest.raises(Conflict) as caught:
        override_readiness(actor=as_bob, project=gated, reason="just in case")
    assert caught.value.code == "readiness_complete"


def test_an_override_covers_only_the_gaps_it_named(gated, as_bob, seller_a, today):
    for code in GATE_TYPES[1:]:
        document(seller_a, code)
    override_readiness(actor=as_bob, project=gated, reason="licence renewal at the bureau")
    # a new gap: the W-8BEN-E now expires before the submission
    from linkstar.documents.models import Document

    Document.objects.filter(document_type__code="w8ben_e").update(
        expiry_date=today + dt.timedelta(days=1)
    )
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=gated, stage="under_review")
    assert caught.value.code == "readiness_incomplete"


def test_an_override_does_not_cover_association_risks(gated, as_bob, as_alice, seller_a, seller_b):
    identify(seller_a, "phone", "+86 138 0013 8000")
    identify(seller_b, "phone", "13800138000")
    open_store(as_alice, seller_b, "amazon-ca", "Other Shop CA")
    override_readiness(actor=as_bob, project=gated, reason="documents follow")
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=gated, stage="under_review")
    assert caught.value.code == "association_risk"
    assert "********000" in caught.value.detail and "13800138000" not in caught.value.detail
    risk = AssociationRisk.objects.get(project=gated)
    acknowledge_risk(actor=as_bob, risk=risk, reason="the phone was replaced on Seller Central")
    change_stage(actor=as_bob, project=gated, stage="under_review")
    assert fresh(gated).stage == Stage.UNDER_REVIEW


def test_unacknowledged_risks_block_under_review_even_at_one_hundred_percent(
    gated, as_bob, as_alice, seller_a, seller_b
):
    for code in GATE_TYPES:
        document(seller_a, code)
    identify(seller_a, "email", "Boss@Example.com")
    identify(seller_b, "email", "boss@example.com")
    other = open_store(as_alice, seller_b, "amazon-us", "Other Shop US")
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=gated, stage="under_review")
    assert caught.value.code == "association_risk"
    assert other.code in caught.value.detail
    assert fresh(gated).stage == Stage.PREPARING


def test_a_risk_with_a_cancelled_project_no_longer_blocks(
    gated, as_bob, as_alice, seller_a, seller_b
):
    for code in GATE_TYPES:
        document(seller_a, code)
    identify(seller_a, "card", "4111 1111 1111 1111")
    identify(seller_b, "card", "4111111111111111")
    other = open_store(as_alice, seller_b, "amazon-mx", "Other Shop MX")
    assert AssociationRisk.objects.filter(project=gated).exists()
    change_stage(actor=as_alice, project=other, stage="cancelled")
    change_stage(actor=as_bob, project=gated, stage="under_review")
    assert fresh(gated).stage == Stage.UNDER_REVIEW


def test_a_risk_blocks_both_projects_and_one_acknowledgement_frees_both(
    gated, as_bob, as_alice, seller_a, seller_b, plain_template
):
    """gated is the pair's first project; the other store (on a plan always 100 % ready) is
    its second: it is blocked as well until the pair is acknowledged once."""
    for code in GATE_TYPES:
        document(seller_a, code)
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    other = open_store(as_bob, seller_b, "amazon-us", "Other Shop US", template=plain_template)
    risk = AssociationRisk.objects.get()
    assert (risk.project_id, risk.other_project_id) == (gated.pk, other.pk)
    for project in (other, gated):
        with pytest.raises(Conflict) as caught:
            change_stage(actor=as_bob, project=fresh(project), stage="under_review")
        assert caught.value.code == "association_risk"
    assert other.code in caught.value.detail  # gated's refusal names the other store
    acknowledge_risk(actor=as_bob, risk=risk, reason="one client, the phone is being replaced")
    change_stage(actor=as_bob, project=fresh(other), stage="under_review")
    change_stage(actor=as_bob, project=fresh(gated), stage="under_review")
    assert {fresh(p).stage for p in (gated, other)} == {Stage.UNDER_REVIEW}


def test_the_second_project_names_the_first_in_the_refusal(
    gated, as_bob, seller_a, seller_b, plain_template
):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    other = open_store(as_bob, seller_b, "amazon-us", "Other Shop US", template=plain_template)
    with pytest.raises(Conflict) as caught:
        change_stage(actor=as_bob, project=other, stage="under_review")
    assert gated.code in caught.value.detail and other.code not in caught.value.detail


def test_a_closed_risk_no_longer_blocks(gated, as_bob, seller_a, seller_b, plain_template):
    from linkstar.compliance.models import RiskStatus
    from linkstar.compliance.services import on_identifiers_changed

    identify(seller_a, "email", "boss@example.com")
    row = identify(seller_b, "email", "boss@example.com")
    other = open_store(as_bob, seller_b, "amazon-us", "Other Shop US", template=plain_template)
    with pytest.raises(Conflict):
        change_stage(actor=as_bob, project=other, stage="under_review")
    row.delete()
    on_identifiers_changed(seller_b)
    assert AssociationRisk.objects.get().status == RiskStatus.CLOSED
    change_stage(actor=as_bob, project=fresh(other), stage="under_review")
    assert fresh(other).stage == Stage.UNDER_REVIEW


def test_a_risk_whose_first_project_is_cancelled_no_longer_blocks_the_second(
    gated, as_bob, as_alice, seller_a, seller_b, plain_template
):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    other = open_store(as_bob, seller_b, "amazon-us", "Other Shop US", template=plain_template)
    assert AssociationRisk.objects.get().project_id == gated.pk
    change_stage(actor=as_alice, project=gated, stage="cancelled")
    change_stage(actor=as_bob, project=fresh(other), stage="under_review")
    assert fresh(other).stage == Stage.UNDER_REVIEW
