"""Undo and correction (issue 14 §1): reopening a finished task (with its started dependants kept
or reset), returning done work for correction, and withdrawing a request for approval — each
permission-checked, audited, told to the person doing the task, through the service and the
API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linkstar.approvals.models import ApprovalRequest, ApprovalStatus
from linkstar.approvals.services import decide_approval, withdraw_approval
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from linkstar.notifications.models import Event
from linkstar.projects import selectors
from linkstar.projects.models import Stage, StoreProject, Task, TaskStatus
from linkstar.projects.services import (
    reopen_task,
    return_for_correction,
    skip_task,
    update_task,
)

pytestmark = pytest.mark.django_db


def _done(actor, task: Task) -> Task:
    for step in ("in_progress", "done"):
        task = update_task(actor=actor, task=Task.objects.get(pk=task.pk), status=step)
    return Task.objects.get(pk=task.pk)


def _finished(project: StoreProject) -> int:
    return StoreProject.objects.get(pk=project.pk).finished_task_count


def _state(project: StoreProject) -> list[tuple]:
    return list(
        Task.objects.filter(project=project)
        .order_by("position")
        .values_list("key", "status", "version")
    )


@pytest.fixture
def chain(mini_project, as_bob, as_carol, task_of):
    """collect (carol) and check (bob) done, submit (carol) in progress."""
    _done(as_carol, task_of(mini_project, "collect"))
    _done(as_bob, task_of(mini_project, "check"))
    update_task(actor=as_carol, task=task_of(mini_project, "submit"), status="in_progress")
    return mini_project


# --- reopen ----------------------------------------------------------------------------------


def test_the_manager_reopens_a_done_task_with_a_reason(chain, as_bob, task_of, carol):
    collect = task_of(chain, "collect")
    before = _finished(chain)
    task = reopen_task(actor=as_bob, task=collect, reason="平台说执照模糊，需重新上传")
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.completed_at is None
    assert _finished(chain) == before - 1
    event = AuditEvent.objects.get(action="task.reopened", object_id=str(collect.pk))
    assert event.changes["status"] == {"before": "done", "after": "in_progress"}
    assert event.changes["reason"]["after"] == "平台说执照模糊，需重新上传"
    told = Event.objects.get(kind="task.reopened", task=collect)
    assert told.data == {
        "assignee_id": carol.pk,
        "how": "reopened",
        "reason": "平台说执照模糊，需重新上传",
    }
    # the dependants were kept
    assert task_of(chain, "check").status == TaskStatus.DONE
    assert task_of(chain, "submit").status == TaskStatus.IN_PROGRESS


def test_a_not_applicable_task_that_never_started_reopens_to_to_do(mini_project, as_bob, task_of):
    announce = skip_task(actor=as_bob, task=task_of(mini_project, "announce"), reason="no need")
    task = reopen_task(actor=as_bob, task=announce, reason="the client wants it after all")
    assert (task.status, task.skip_reason) == (TaskStatus.TODO, "")
    event = AuditEvent.objects.get(action="task.reopened", object_id=str(announce.pk))
    assert event.changes["skip_reason"] == {"before": "no need", "after": None}
    assert _finished(mini_project) == 0


def test_reopening_asks_for_a_reason_and_changes_nothing_without_one(chain, as_bob, task_of):
    before = _state(chain)
    with pytest.raises(InvalidInput) as caught:
        reopen_task(actor=as_bob, task=task_of(chain, "collect"), reason="  ")
    assert caught.value.errors[0].field == "reason"
    assert _state(chain) == before


def test_only_finished_tasks_reopen(chain, as_bob, task_of):
    with pytest.raises(TransitionNotAllowed):
        reopen_task(actor=as_bob, task=task_of(chain, "submit"), reason="why not")


def test_the_assignee_may_reopen_within_a_day_and_not_after(chain, as_carol, task_of):
    collect = task_of(chain, "collect")
    Task.objects.filter(pk=collect.pk).update(completed_at=timezone.now() - dt.timedelta(hours=25))
    before = _state(chain)
    with pytest.raises(PermissionDenied):
        reopen_task(actor=as_carol, task=collect, reason="I missed a page")
    assert _state(chain) == before
    Task.objects.filter(pk=collect.pk).update(completed_at=timezone.now() - dt.timedelta(hours=2))
    assert reopen_task(actor=as_carol, task=collect, reason="I missed a page").status == (
        TaskStatus.IN_PROGRESS
    )


def test_someone_else_on_the_team_may_not_reopen(chain, as_dave, task_of, dave):
    chain.members.add(dave)
    with pytest.raises(PermissionDenied):
        reopen_task(actor=as_dave, task=task_of(chain, "collect"), reason="x")


def test_the_started_dependants_are_listed_through_the_chain(chain, task_of):
    listed = selectors.started_dependants(task_of(chain, "collect"))
    assert [(t.key, t.status) for t in listed] == [("check", "done"), ("submit", "in_progress")]
    assert selectors.started_dependants(task_of(chain, "submit")) == []


def test_the_manager_may_reset_the_started_dependants_to_to_do(chain, as_bob, task_of):
    before = _finished(chain)
    reopen_task(
        actor=as_bob, task=task_of(chain, "collect"), reason="licence rejected", dependants="reset"
    )
    assert [(k, s) for k, s, _v in _state(chain)] == [
        ("collect", "in_progress"),
        ("check", "todo"),
        ("submit", "todo"),
        ("go-live", "todo"),
        ("announce", "todo"),
    ]
    assert _finished(chain) == before - 2  # collect and check
    reset = [
        e
        for e in AuditEvent.objects.filter(action="task.updated")
        if e.changes["status"]["after"] == "todo" and e.changes.get("reason")
    ]
    assert {e.object_id for e in reset} == {
        str(task_of(chain, "check").pk),
        str(task_of(chain, "submit").pk),
    }
    reopened = AuditEvent.objects.get(action="task.reopened")
    assert reopened.changes["reset"]["after"] == ["Check the pack", "Submit the application"]


def test_only_the_manager_may_reset_the_dependants(chain, as_carol, task_of):
    before = _state(chain)
    with pytest.raises(PermissionDenied):
        reopen_task(actor=as_carol, task=task_of(chain, "collect"), reason="x", dependants="reset")
    assert _state(chain) == before


def test_reopening_leaves_the_stage_to_its_own_machine(mini_project, as_bob, as_carol, task_of):
    for key in ("collect", "check", "submit"):
        _done(as_bob if key == "check" else as_carol, task_of(mini_project, key))
    assert StoreProject.objects.get(pk=mini_project.pk).stage == Stage.UNDER_REVIEW
    reopen_task(actor=as_bob, task=task_of(mini_project, "submit"), reason="submitted too early")
    assert StoreProject.objects.get(pk=mini_project.pk).stage == Stage.UNDER_REVIEW


# --- return for correction ------------------------------------------------------------------


def test_a_reviewer_returns_done_work_with_what_to_fix(chain, as_erin, task_of, carol):
    collect = task_of(chain, "collect")
    task = return_for_correction(actor=as_erin, task=collect, reason="身份证反面缺失")
    assert task.status == TaskStatus.IN_PROGRESS
    event = AuditEvent.objects.get(action="task.returned")
    assert event.changes["reason"]["after"] == "身份证反面缺失"
    told = Event.objects.get(kind="task.reopened", task=collect)
    assert (told.data["how"], told.data["assignee_id"]) == ("returned", carol.pk)


def test_an_operator_may_not_return_work_and_open_work_cannot_be_returned(
    chain, as_carol, as_erin, task_of
):
    with pytest.raises(PermissionDenied):
        return_for_correction(actor=as_carol, task=task_of(chain, "check"), reason="x")
    with pytest.raises(TransitionNotAllowed):
        return_for_correction(actor=as_erin, task=task_of(chain, "submit"), reason="x")
    with pytest.raises(InvalidInput):
        return_for_correction(actor=as_erin, task=task_of(chain, "check"), reason="")


# --- withdrawing an approval request --------------------------------------------------------


@pytest.fixture
def awaiting(mini_project, as_carol, task_of) -> ApprovalRequest:
    announce = task_of(mini_project, "announce")
    Task.objects.filter(pk=announce.pk).update(approval_levels=2, sets_stage="")
    _done(as_carol, announce)
    return ApprovalRequest.objects.get(task=announce)


def test_the_requester_withdraws_a_request_sent_too_early(awaiting, as_carol):
    approval = withdraw_approval(actor=as_carol, approval=awaiting, reason="发早了")
    assert approval.status == ApprovalStatus.WITHDRAWN
    assert Task.objects.get(pk=awaiting.task_id).status == TaskStatus.IN_PROGRESS
    event = AuditEvent.objects.get(action="approval.withdrawn")
    assert event.changes["reason"]["after"] == "发早了"


def test_the_manager_withdraws_after_the_first_level_but_not_after_the_last(
    awaiting, as_bob, as_erin, as_alice
):
    decide_approval(actor=as_erin, approval=awaiting, decision="approve")
    assert withdraw_approval(actor=as_bob, approval=awaiting).status == "withdrawn"
    with pytest.raises(Conflict) as caught:
        decide_approval(actor=as_alice, approval=awaiting, decision="approve")
    assert caught.value.code == "approval_decided"


def test_a_decided_request_cannot_be_withdrawn(awaiting, as_carol, as_erin, as_alice):
    decide_approval(actor=as_erin, approval=awaiting, decision="approve")
    decide_approval(actor=as_alice, approval=awaiting, decision="approve")
    with pytest.raises(Conflict):
        withdraw_approval(actor=as_carol, approval=awaiting)
    assert Task.objects.get(pk=awaiting.task_id).status == TaskStatus.DONE


def test_a_reviewer_who_did_not_ask_may_not_withdraw(awaiting, as_erin):
    with pytest.raises(PermissionDenied):
        withdraw_approval(actor=as_erin, approval=awaiting)
    assert ApprovalRequest.objects.get(pk=awaiting.pk).status == ApprovalStatus.PENDING


# --- API -------------------------------------------------------------------------------------


def test_the_api_previews_and_reopens_with_the_dependants_reset(api, bob, chain, task_of):
    collect = task_of(chain, "collect")
    preview = api(bob).get(f"/orgs/acme/tasks/{collect.pk}/reopen").json()
    assert preview["may_reopen"] and preview["may_reset"]
    assert preview["becomes"] == "in_progress"
    assert [d["key"] for d in preview["started_dependants"]] == ["check", "submit"]
    answer = api(bob).post(
        f"/orgs/acme/tasks/{collect.pk}/reopen",
        {"reason": "rejected", "dependants": "reset", "version": collect.version},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "in_progress"
    assert task_of(chain, "check").status == "todo"


def test_the_api_refuses_a_stale_reopen_and_a_missing_reason(api, bob, chain, task_of):
    collect = task_of(chain, "collect")
    stale = api(bob).post(
        f"/orgs/acme/tasks/{collect.pk}/reopen", {"reason": "x", "version": collect.version - 1}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    empty = api(bob).post(f"/orgs/acme/tasks/{collect.pk}/reopen", {"reason": ""})
    assert empty.status_code == 422
    assert task_of(chain, "collect").status == "done"


def test_the_api_returns_work_and_withdraws_a_request(api, erin, carol, chain, task_of, awaiting):
    check = task_of(chain, "check")
    returned = api(erin).post(f"/orgs/acme/tasks/{check.pk}/return", {"reason": "wrong name"})
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "in_progress"
    refused = api(carol).post(f"/orgs/acme/tasks/{check.pk}/return", {"reason": "x"})
    assert refused.status_code == 403
    withdrawn = api(carol).post(f"/orgs/acme/approvals/{awaiting.pk}/withdraw", {"reason": "oops"})
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "withdrawn"
    again = api(carol).post(f"/orgs/acme/approvals/{awaiting.pk}/withdraw", {})
    assert again.status_code == 409 and again.json()["code"] == "approval_decided"
