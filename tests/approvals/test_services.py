"""Approvals: opening a request by finishing a task, deciding level by level with four eyes."""

from __future__ import annotations

import pytest

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus
from linkstar.approvals.selectors import approval_list
from linkstar.approvals.services import decide_approval
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from linkstar.projects.models import Stage, StageChange, StoreProject, Task, TaskStatus
from linkstar.projects.services import skip_task, update_task
from tests.support.seed import PASSWORD, actor_of, build_project, publish_template

APPROVAL_TASKS = [
    {"key": "one-level", "title": "Check the documents", "phase": "documents",
     "approval_levels": 1},
    {"key": "after-one", "title": "Register", "phase": "registration", "offset_days": 1,
     "depends_on": ["one-level"]},
    {"key": "two-level", "title": "Set the deposit account", "phase": "registration",
     "approval_levels": 2},
    {"key": "submit", "title": "Submit", "phase": "registration", "approval_levels": 1,
     "sets_stage": "under_review"},
    {"key": "go-live", "title": "Go live", "phase": "launch", "approval_levels": 1,
     "sets_stage": "opened"},
]  # fmt: skip


@pytest.fixture
def approval_template(as_alice):
    return publish_template(as_alice, APPROVAL_TASKS, name="Approvals")


@pytest.fixture
def project(as_bob, approval_template, entity, carol) -> StoreProject:
    """Not ``mini_project``: every task of this plan is about approvals (one or two levels, and
    the stage moves behind them)."""
    return build_project(
        manager=as_bob,
        template=approval_template,
        entity=entity,
        members=[carol],
        store_name="Approval Shop",
    )


def task_of(project: StoreProject, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


def request_done(actor, project: StoreProject, key: str) -> ApprovalRequest:
    """``actor`` starts and finishes the task: an approval request opens."""
    task = update_task(actor=actor, task=task_of(project, key), status="in_progress")
    task = update_task(actor=actor, task=task, status="done")
    assert task.status == TaskStatus.AWAITING_APPROVAL
    return ApprovalRequest.objects.get(task=task, status=ApprovalStatus.PENDING)


def snapshot(approval: ApprovalRequest) -> tuple:
    approval = ApprovalRequest.objects.get(pk=approval.pk)
    task = Task.objects.get(pk=approval.task_id)
    project = StoreProject.objects.get(pk=approval.project_id)
    return (
        approval.status,
        approval.current_level,
        approval.decided_at,
        ApprovalDecision.objects.filter(request=approval).count(),
        task.status,
        task.version,
        task.completed_at,
        project.stage,
        project.finished_task_count,
        StageChange.objects.filter(project=project).count(),
        AuditEvent.objects.count(),
    )


def events(action: str, obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, object_type=obj._meta.model_name, object_id=str(obj.pk)
        ).order_by("seq")
    )


# --- opening ---------------------------------------------------------------------------------


def test_completing_a_task_that_needs_approval_opens_a_request(project, as_carol, carol):
    approval = request_done(as_carol, project, "one-level")
    task = task_of(project, "one-level")
    assert task.status == TaskStatus.AWAITING_APPROVAL
    assert task.completed_at is None
    assert (approval.levels, approval.current_level, approval.requested_by) == (1, 1, carol)
    assert approval.project == project
    assert approval.organization_id == project.organization_id
    assert StoreProject.objects.get(pk=project.pk).finished_task_count == 0
    (requested,) = events("approval.requested", approval)
    assert requested.actor == carol
    assert requested.project_id == project.pk
    assert requested.changes == {
        "task_id": {"before": None, "after": task.pk},
        "levels": {"before": None, "after": 1},
    }
    updated = events("task.updated", task)[-1]
    assert updated.changes == {
        "status": {"before": "in_progress", "after": "awaiting_approval"},
        "approval_request": {"before": None, "after": approval.pk},
    }


def test_a_task_awaiting_approval_leaves_that_state_only_by_a_decision(project, as_carol, as_bob):
    approval = request_done(as_carol, project, "one-level")
    task = task_of(project, "one-level")
    before = snapshot(approval)
    for status in ["done", "in_progress", "todo", "skipped"]:
        with pytest.raises(TransitionNotAllowed):
            update_task(actor=as_bob, task=task, status=status)
    with pytest.raises(TransitionNotAllowed):
        skip_task(actor=as_bob, task=task, reason="in a hurry")
    assert snapshot(approval) == before


def test_dependant_of_a_task_awaiting_approval_cannot_start(project, as_carol):
    from linkstar.core.exceptions import DependencyNotDone

    request_done(as_carol, project, "one-level")
    with pytest.raises(DependencyNotDone):
        update_task(actor=as_carol, task=task_of(project, "after-one"), status="in_progress")


# --- one level -------------------------------------------------------------------------------


def test_reviewer_approves_and_the_task_is_done(project, as_carol, as_dave, dave):
    approval = request_done(as_carol, project, "one-level")
    decided = decide_approval(actor=as_dave, approval=approval, decision="approve", comment="ok")
    approval.refresh_from_db()
    assert approval.status == decided.status == ApprovalStatus.APPROVED
    assert approval.decided_at is not None
    (decision,) = ApprovalDecision.objects.filter(request=approval)
    assert (decision.level, decision.decided_by, decision.decision, decision.comment) == (
        1,
        dave,
        "approve",
        "ok",
    )
    task = task_of(project, "one-level")
    assert task.status == TaskStatus.DONE
    assert task.completed_at is not None
    project.refresh_from_db()
    assert project.finished_task_count == 1
    assert project.progress == 20


def test_approval_unblocks_the_dependants(project, as_carol, as_dave):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_dave, approval=approval, decision="approve")
    started = update_task(actor=as_carol, task=task_of(project, "after-one"), status="in_progress")
    assert started.status == TaskStatus.IN_PROGRESS


def test_approval_is_audited(project, as_carol, as_dave, dave):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_dave, approval=approval, decision="approve", comment=" fine ")
    (approved,) = events("approval.approved", approval)
    assert approved.actor == dave
    assert approved.project_id == project.pk
    assert approved.changes == {
        "level": {"before": None, "after": 1},
        "decision": {"before": None, "after": "approve"},
        "comment": {"before": None, "after": "fine"},
        "status": {"before": "pending", "after": "approved"},
    }
    task_event = events("task.updated", task_of(project, "one-level"))[-1]
    assert task_event.actor == dave
    assert task_event.changes == {"status": {"before": "awaiting_approval", "after": "done"}}


def test_requester_cannot_decide_their_own_request(project, as_bob):
    approval = request_done(as_bob, project, "one-level")  # bob could decide others' requests
    before = snapshot(approval)
    for decision in ["approve", "reject"]:
        with pytest.raises(PermissionDenied) as caught:
            decide_approval(actor=as_bob, approval=approval, decision=decision, comment="mine")
        assert caught.value.code == "four_eyes"
    assert snapshot(approval) == before


def test_operator_cannot_decide(project, as_bob, as_carol):
    approval = request_done(as_bob, project, "one-level")
    before = snapshot(approval)
    with pytest.raises(PermissionDenied) as caught:
        decide_approval(actor=as_carol, approval=approval, decision="approve")
    assert caught.value.code == "permission_denied"
    assert snapshot(approval) == before


@pytest.mark.parametrize("who", ["frank", "grace"])
def test_auditor_and_client_cannot_decide(request, org, project, as_carol, who):
    actor = actor_of(org, request.getfixturevalue(who))
    approval = request_done(as_carol, project, "one-level")
    before = snapshot(approval)
    with pytest.raises(PermissionDenied):
        decide_approval(actor=actor, approval=approval, decision="approve")
    assert snapshot(approval) == before


def test_the_projects_manager_may_decide(project, as_carol, as_bob, bob):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_bob, approval=approval, decision="approve")
    assert ApprovalDecision.objects.get(request=approval).decided_by == bob
    assert task_of(project, "one-level").status == TaskStatus.DONE


def test_a_manager_of_another_project_cannot_decide(project, org, as_alice, as_carol):
    from linkstar.accounts.services import add_member

    oscar = add_member(
        actor=as_alice, email="oscar@example.com", role="manager", name="Oscar", password=PASSWORD
    ).user
    approval = request_done(as_carol, project, "one-level")
    with pytest.raises(PermissionDenied):
        decide_approval(actor=actor_of(org, oscar), approval=approval, decision="approve")


def test_admin_may_decide(project, as_carol, as_alice):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_alice, approval=approval, decision="approve")
    assert task_of(project, "one-level").status == TaskStatus.DONE


def test_another_organizations_admin_gets_not_found(project, as_carol, other_org, mallory):
    approval = request_done(as_carol, project, "one-level")
    before = snapshot(approval)
    with pytest.raises(NotFound):
        decide_approval(actor=actor_of(other_org, mallory), approval=approval, decision="approve")
    assert snapshot(approval) == before


def test_unknown_decision_is_invalid_input(project, as_carol, as_dave):
    approval = request_done(as_carol, project, "one-level")
    with pytest.raises(InvalidInput) as caught:
        decide_approval(actor=as_dave, approval=approval, decision="maybe")
    assert caught.value.errors[0].field == "decision"


# --- two levels ------------------------------------------------------------------------------


def test_two_levels_need_two_different_deciders(project, as_carol, as_dave, as_erin, dave, erin):
    approval = request_done(as_carol, project, "two-level")
    assert approval.levels == 2
    decide_approval(actor=as_dave, approval=approval, decision="approve")
    approval.refresh_from_db()
    assert (approval.status, approval.current_level) == (ApprovalStatus.PENDING, 2)
    assert task_of(project, "two-level").status == TaskStatus.AWAITING_APPROVAL
    assert StoreProject.objects.get(pk=project.pk).finished_task_count == 0

    before = snapshot(approval)
    with pytest.raises(PermissionDenied) as caught:
        decide_approval(actor=as_dave, approval=approval, decision="approve")
    assert caught.value.code == "four_eyes"
    assert snapshot(approval) == before

    decide_approval(actor=as_erin, approval=approval, decision="approve")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.current_level == 2
    assert list(
        ApprovalDecision.objects.filter(request=approval).values_list("level", "decided_by")
    ) == [(1, dave.pk), (2, erin.pk)]
    assert task_of(project, "two-level").status == TaskStatus.DONE
    assert StoreProject.objects.get(pk=project.pk).finished_task_count == 1
    assert [e.changes["status"]["after"] for e in events("approval.approved", approval)] == [
        "pending",
        "approved",
    ]


def test_requester_cannot_decide_the_second_level_either(project, as_bob, as_dave):
    approval = request_done(as_bob, project, "two-level")
    decide_approval(actor=as_dave, approval=approval, decision="approve")
    with pytest.raises(PermissionDenied) as caught:
        decide_approval(actor=as_bob, approval=approval, decision="approve")
    assert caught.value.code == "four_eyes"


# --- rejection -------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["", "   "])
def test_rejection_needs_a_comment(project, as_carol, as_dave, comment):
    approval = request_done(as_carol, project, "one-level")
    before = snapshot(approval)
    with pytest.raises(InvalidInput) as caught:
        decide_approval(actor=as_dave, approval=approval, decision="reject", comment=comment)
    assert caught.value.errors[0].field == "comment"
    assert snapshot(approval) == before


def test_rejection_sends_the_task_back_in_progress(project, as_carol, as_dave, dave):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(
        actor=as_dave, approval=approval, decision="reject", comment="Licence is expired"
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    assert approval.decided_at is not None
    task = task_of(project, "one-level")
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.completed_at is None
    assert StoreProject.objects.get(pk=project.pk).finished_task_count == 0
    (rejected,) = events("approval.rejected", approval)
    assert rejected.actor == dave
    assert rejected.changes["comment"] == {"before": None, "after": "Licence is expired"}
    assert rejected.changes["status"] == {"before": "pending", "after": "rejected"}
    assert events("task.updated", task)[-1].changes == {
        "status": {"before": "awaiting_approval", "after": "in_progress"},
        "reason": {"before": None, "after": "Licence is expired"},
    }


def test_rejection_at_the_second_level(project, as_carol, as_dave, as_erin):
    approval = request_done(as_carol, project, "two-level")
    decide_approval(actor=as_dave, approval=approval, decision="approve")
    decide_approval(actor=as_erin, approval=approval, decision="reject", comment="Wrong bank")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    assert list(
        ApprovalDecision.objects.filter(request=approval).values_list("level", "decision")
    ) == [(1, "approve"), (2, "reject")]
    assert task_of(project, "two-level").status == TaskStatus.IN_PROGRESS


def test_after_a_rejection_finishing_again_opens_a_new_request(project, as_carol, as_dave):
    first = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_dave, approval=first, decision="reject", comment="Blurry scan")
    task = update_task(actor=as_carol, task=task_of(project, "one-level"), status="done")
    assert task.status == TaskStatus.AWAITING_APPROVAL
    second = ApprovalRequest.objects.get(task=task, status=ApprovalStatus.PENDING)
    assert second.pk != first.pk
    assert second.current_level == 1
    decide_approval(actor=as_dave, approval=second, decision="approve")
    assert task_of(project, "one-level").status == TaskStatus.DONE


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_decided_request_cannot_be_decided_again(project, as_carol, as_dave, as_erin, first):
    approval = request_done(as_carol, project, "one-level")
    decide_approval(actor=as_dave, approval=approval, decision=first, comment="because")
    before = snapshot(approval)
    for decision in ["approve", "reject"]:
        with pytest.raises(Conflict) as caught:
            decide_approval(actor=as_erin, approval=approval, decision=decision, comment="late")
        assert caught.value.code == "approval_decided"
    assert snapshot(approval) == before


# --- stages ----------------------------------------------------------------------------------


def test_approving_a_task_that_sets_a_stage_moves_the_project(project, as_carol, as_dave, dave):
    approval = request_done(as_carol, project, "submit")
    assert StoreProject.objects.get(pk=project.pk).stage == Stage.PREPARING
    decide_approval(actor=as_dave, approval=approval, decision="approve")
    project.refresh_from_db()
    assert project.stage == Stage.UNDER_REVIEW
    change = StageChange.objects.filter(project=project).latest("id")
    assert (change.from_stage, change.to_stage, change.task, change.actor) == (
        "preparing",
        "under_review",
        task_of(project, "submit"),
        dave,
    )


def test_approval_is_refused_when_the_state_machine_refuses_the_tasks_stage(
    project, as_carol, as_dave
):
    approval = request_done(as_carol, project, "go-live")  # preparing → opened does not exist
    before = snapshot(approval)
    with pytest.raises(TransitionNotAllowed):
        decide_approval(actor=as_dave, approval=approval, decision="approve")
    assert snapshot(approval) == before


# --- who may decide now ----------------------------------------------------------------------


def test_the_list_of_mine_holds_what_the_caller_may_decide_now(
    project, as_carol, as_bob, as_dave, as_erin
):
    two = request_done(as_carol, project, "two-level")
    own = request_done(as_bob, project, "one-level")
    assert {a.pk for a in approval_list(actor=as_dave, mine=True)} == {two.pk, own.pk}
    assert {a.pk for a in approval_list(actor=as_bob, mine=True)} == {two.pk}
    assert approval_list(actor=as_carol, mine=True) == []
    decide_approval(actor=as_dave, approval=two, decision="approve")
    assert {a.pk for a in approval_list(actor=as_dave, mine=True)} == {own.pk}
    assert {a.pk for a in approval_list(actor=as_erin, mine=True)} == {two.pk, own.pk}
