"""update_task and skip_task: the task state machine, dependencies, stages, rights, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.services import decide_approval
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    DependencyNotDone,
    InvalidInput,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
)
from linkstar.projects import selectors
from linkstar.projects.models import Stage, StageChange, StoreProject, Task, TaskStatus
from linkstar.projects.services import create_project, org_today, skip_task, update_task
from tests.support.gates import pass_gates
from tests.support.seed import actor_of


def _snapshot(task: Task) -> tuple:
    task = Task.objects.get(pk=task.pk)
    project = StoreProject.objects.get(pk=task.project_id)
    return (
        task.status,
        task.version,
        task.assignee_id,
        task.start_date,
        task.due_date,
        task.checklist,
        task.started_at,
        task.completed_at,
        project.stage,
        project.version,
        project.finished_task_count,
        StageChange.objects.filter(project=project).count(),
        ApprovalRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def _bring_to(actor, manager, task: Task, status: str) -> Task:
    if status == "skipped":
        return skip_task(actor=manager, task=task, reason="not needed")
    for step in {"todo": [], "in_progress": ["in_progress"], "done": ["in_progress", "done"]}[
        status
    ]:
        task = update_task(actor=actor, task=task, status=step)
    return Task.objects.get(pk=task.pk)


# --- the state machine -----------------------------------------------------------------------


def test_operator_moves_a_task_todo_in_progress_done(mini_project, as_carol, carol, task_of):
    collect = task_of(mini_project, "collect")
    started = update_task(actor=as_carol, task=collect, status="in_progress", version=1)
    assert started.status == TaskStatus.IN_PROGRESS
    assert started.started_at is not None
    assert started.version == 2
    done = update_task(actor=as_carol, task=started, status="done", version=2)
    collect.refresh_from_db()
    assert collect.status == done.status == TaskStatus.DONE
    assert collect.completed_at is not None
    assert collect.version == 3
    mini_project.refresh_from_db()
    assert mini_project.finished_task_count == 1
    assert mini_project.progress == 20


ILLEGAL_TASK_MOVES = [
    ("todo", "done"),
    ("todo", "awaiting_approval"),
    ("todo", "skipped"),
    ("in_progress", "awaiting_approval"),
    ("in_progress", "skipped"),
    ("done", "todo"),
    ("done", "in_progress"),
    ("done", "awaiting_approval"),
    ("done", "skipped"),
    ("skipped", "todo"),
    ("skipped", "in_progress"),
    ("skipped", "done"),
    ("skipped", "awaiting_approval"),
]


@pytest.mark.parametrize(
    ("current", "target"), ILLEGAL_TASK_MOVES, ids=[f"{a}->{b}" for a, b in ILLEGAL_TASK_MOVES]
)
def test_direct_task_move_outside_the_state_machine_is_refused(
    mini_project, as_bob, as_carol, task_of, current, target
):
    task = _bring_to(as_carol, as_bob, task_of(mini_project, "collect"), current)
    before = _snapshot(task)
    with pytest.raises(TransitionNotAllowed) as caught:
        update_task(actor=as_bob, task=task, status=target)
    assert caught.value.code == "transition_not_allowed"
    assert _snapshot(task) == before


def test_a_task_in_progress_goes_back_to_to_do_audited(mini_project, as_carol, task_of):
    task = update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")
    task = update_task(actor=as_carol, task=task, status="todo", version=task.version)
    task.refresh_from_db()
    assert task.status == "todo"
    event = AuditEvent.objects.filter(action="task.updated", object_id=str(task.pk)).latest("id")
    assert event.changes["status"] == {"before": "in_progress", "after": "todo"}


def test_unknown_task_status_is_invalid_input(mini_project, as_carol, task_of):
    with pytest.raises(InvalidInput) as caught:
        update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="finished")
    assert caught.value.errors[0].field == "status"


def test_asking_for_the_current_status_changes_nothing(mini_project, as_carol, task_of):
    task = _bring_to(as_carol, None, task_of(mini_project, "collect"), "in_progress")
    before = _snapshot(task)
    update_task(actor=as_carol, task=task, status="in_progress")
    assert _snapshot(task) == before


# --- dependencies ----------------------------------------------------------------------------


def test_task_cannot_start_while_a_dependency_is_open(mini_project, as_bob, task_of):
    check = task_of(mini_project, "check")
    before = _snapshot(check)
    with pytest.raises(DependencyNotDone) as caught:
        update_task(actor=as_bob, task=check, status="in_progress")
    assert caught.value.code == "dependency_not_done"
    assert caught.value.status == 409
    assert "collect" in caught.value.detail
    assert "Collect documents" in caught.value.detail
    assert _snapshot(check) == before


def test_task_cannot_start_while_its_dependency_is_only_in_progress(
    mini_project, as_bob, as_carol, task_of
):
    _bring_to(as_carol, as_bob, task_of(mini_project, "collect"), "in_progress")
    with pytest.raises(DependencyNotDone):
        update_task(actor=as_bob, task=task_of(mini_project, "check"), status="in_progress")


def test_task_cannot_finish_while_a_dependency_is_open(mini_project, as_bob, task_of):
    check = task_of(mini_project, "check")
    # A task already under way when a dependency is (re)opened, e.g. after an import.
    Task.objects.filter(pk=check.pk).update(status=TaskStatus.IN_PROGRESS)
    before = _snapshot(check)
    with pytest.raises(DependencyNotDone) as caught:
        update_task(actor=as_bob, task=check, status="done")
    assert "collect" in caught.value.detail
    assert _snapshot(check) == before


def test_dependency_done_unblocks_the_dependant(mini_project, as_bob, as_carol, task_of):
    _bring_to(as_carol, as_bob, task_of(mini_project, "collect"), "done")
    check = update_task(actor=as_bob, task=task_of(mini_project, "check"), status="in_progress")
    assert check.status == TaskStatus.IN_PROGRESS


def test_skipped_dependency_counts_as_finished(mini_project, as_bob, task_of):
    skip_task(actor=as_bob, task=task_of(mini_project, "collect"), reason="licence on file")
    check = update_task(actor=as_bob, task=task_of(mini_project, "check"), status="in_progress")
    check = update_task(actor=as_bob, task=check, status="done")
    assert check.status == TaskStatus.DONE


# --- sets_stage ------------------------------------------------------------------------------


def test_completing_a_task_that_sets_a_stage_moves_the_project(
    mini_project, as_bob, bob, task_of, audit
):
    for key in ["collect", "check"]:
        skip_task(actor=as_bob, task=task_of(mini_project, key), reason="n/a")
    submit = _bring_to(as_bob, as_bob, task_of(mini_project, "submit"), "done")
    mini_project.refresh_from_db()
    assert submit.status == TaskStatus.DONE
    assert mini_project.stage == Stage.UNDER_REVIEW
    change = StageChange.objects.filter(project=mini_project).latest("id")
    assert (change.from_stage, change.to_stage, change.task, change.actor) == (
        "preparing",
        "under_review",
        submit,
        bob,
    )
    (event,) = audit("project.stage_changed", mini_project)
    assert event.changes["by_task"] == {"before": None, "after": "submit"}


def test_amazon_identity_verification_moves_the_project_under_review(
    project, as_bob, as_carol, org, dave, task_of
):
    pass_gates(project)
    verification = task_of(project, "identity-verification")
    for dep in Task.objects.filter(project=project, position__lt=verification.position):
        skip_task(actor=as_bob, task=dep, reason="already done offline")
    verification = _bring_to(as_carol, as_bob, verification, "done")
    assert verification.status == TaskStatus.AWAITING_APPROVAL  # it needs one approval
    project.refresh_from_db()
    assert project.stage == Stage.PREPARING
    approval = ApprovalRequest.objects.get(task=verification)
    decide_approval(actor=actor_of(org, dave), approval=approval, decision="approve")
    project.refresh_from_db()
    assert project.stage == Stage.UNDER_REVIEW
    change = StageChange.objects.filter(project=project).latest("id")
    assert change.task == verification
    assert change.to_stage == Stage.UNDER_REVIEW


def test_completion_is_refused_when_the_state_machine_refuses_its_stage(
    mini_project, as_carol, task_of
):
    announce = _bring_to(as_carol, None, task_of(mini_project, "announce"), "in_progress")
    before = _snapshot(announce)
    with pytest.raises(TransitionNotAllowed) as caught:
        update_task(actor=as_carol, task=announce, status="done")
    assert caught.value.code == "transition_not_allowed"
    assert _snapshot(announce) == before
    assert StoreProject.objects.get(pk=mini_project.pk).stage == Stage.PREPARING


def test_completing_a_task_whose_stage_the_project_already_has_changes_no_stage(
    mini_project, as_bob, task_of
):
    for key in ["collect", "check"]:
        skip_task(actor=as_bob, task=task_of(mini_project, key), reason="n/a")
    from linkstar.projects.services import change_stage

    change_stage(actor=as_bob, project=mini_project, stage="under_review")
    changes = StageChange.objects.count()
    _bring_to(as_bob, as_bob, task_of(mini_project, "submit"), "done")
    assert StageChange.objects.count() == changes
    assert StoreProject.objects.get(pk=mini_project.pk).stage == Stage.UNDER_REVIEW


def test_skipping_a_task_that_sets_a_stage_leaves_the_stage_alone(mini_project, as_bob, task_of):
    """Skipped means "does not apply": only completing a task applies its stage."""
    skip_task(actor=as_bob, task=task_of(mini_project, "announce"), reason="no launch mail")
    mini_project.refresh_from_db()
    assert mini_project.stage == Stage.PREPARING
    assert mini_project.finished_task_count == 1
    assert StageChange.objects.filter(project=mini_project).count() == 1


# --- progress and overdue --------------------------------------------------------------------


def test_progress_counts_done_and_skipped_tasks(project, as_bob, as_carol, task_of):
    pass_gates(project)
    _bring_to(as_carol, as_bob, task_of(project, "prepare-license"), "done")
    skip_task(actor=as_bob, task=task_of(project, "prepare-contact-info"), reason="on file")
    project.refresh_from_db()
    assert (project.finished_task_count, project.task_count) == (2, 21)
    assert project.progress == round(100 * 2 / 21)
    got = selectors.project_get(actor=as_bob, project_id=project.pk)
    assert got.progress == 10


def _project_starting(actor, template, entity, name, start):
    return create_project(
        actor=actor, template_id=template.pk, store_name=name, entity_id=entity.pk, start_date=start
    )


def test_project_with_an_open_task_due_before_today_is_overdue(as_bob, mini_template, entity, org):
    today = org_today(org)
    late = _project_starting(as_bob, mini_template, entity, "Late", today - dt.timedelta(days=3))
    early = _project_starting(as_bob, mini_template, entity, "Early", today + dt.timedelta(days=3))
    # due today is not overdue yet: announce starts on day 1 and lasts 1 day
    on_time = _project_starting(
        as_bob, mini_template, entity, "On time", today - dt.timedelta(days=2)
    )
    Task.objects.filter(project=on_time).exclude(key="announce").update(status=TaskStatus.SKIPPED)
    overdue = {p.pk for p in selectors.project_list(actor=as_bob, overdue=True)}
    assert overdue == {late.pk}
    assert selectors.project_get(actor=as_bob, project_id=late.pk).is_overdue
    assert not selectors.project_get(actor=as_bob, project_id=early.pk).is_overdue
    assert {p.pk for p in selectors.project_list(actor=as_bob, overdue=False)} == {
        early.pk,
        on_time.pk,
    }


def test_finishing_the_late_tasks_clears_overdue(as_bob, mini_template, entity, org, task_of):
    today = org_today(org)
    late = _project_starting(as_bob, mini_template, entity, "Late", today - dt.timedelta(days=1))
    # due: collect day 2 → tomorrow; announce day 2 → tomorrow: nothing late yet
    assert not selectors.project_get(actor=as_bob, project_id=late.pk).is_overdue
    late2 = _project_starting(as_bob, mini_template, entity, "Late2", today - dt.timedelta(days=3))
    assert selectors.project_get(actor=as_bob, project_id=late2.pk).is_overdue
    for key in ["collect", "announce"]:
        skip_task(actor=as_bob, task=task_of(late2, key), reason="n/a")
    assert not selectors.project_get(actor=as_bob, project_id=late2.pk).is_overdue


# --- skip ------------------------------------------------------------------------------------


def test_manager_skips_a_task_with_a_reason(mini_project, as_bob, bob, task_of, audit):
    collect = task_of(mini_project, "collect")
    skipped = skip_task(actor=as_bob, task=collect, reason="  licence already on file ", version=1)
    collect.refresh_from_db()
    assert collect.status == skipped.status == TaskStatus.SKIPPED
    assert collect.skip_reason == "licence already on file"
    assert collect.completed_at is not None
    assert collect.version == 2
    assert StoreProject.objects.get(pk=mini_project.pk).finished_task_count == 1
    (event,) = audit("task.skipped", collect)
    assert event.actor == bob
    assert event.project_id == mini_project.pk
    assert event.changes == {
        "status": {"before": "todo", "after": "skipped"},
        "reason": {"before": None, "after": "licence already on file"},
    }


def test_admin_skips_an_in_progress_task(mini_project, as_alice, as_carol, task_of):
    task = _bring_to(as_carol, None, task_of(mini_project, "collect"), "in_progress")
    assert skip_task(actor=as_alice, task=task, reason="n/a").status == TaskStatus.SKIPPED


def test_operator_cannot_skip_a_task(mini_project, as_carol, task_of):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(PermissionDenied):
        skip_task(actor=as_carol, task=task, reason="I don't want to")
    assert _snapshot(task) == before


def test_manager_of_another_project_cannot_skip_its_task(mini_project, other_manager, task_of):
    with pytest.raises(PermissionDenied):
        skip_task(actor=other_manager, task=task_of(mini_project, "collect"), reason="n/a")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_skip_needs_a_reason(mini_project, as_bob, task_of, reason):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(InvalidInput) as caught:
        skip_task(actor=as_bob, task=task, reason=reason)
    assert caught.value.errors[0].field == "reason"
    assert _snapshot(task) == before


@pytest.mark.parametrize("status", ["done", "skipped"])
def test_finished_task_cannot_be_skipped(mini_project, as_bob, as_carol, task_of, status):
    task = _bring_to(as_carol, as_bob, task_of(mini_project, "collect"), status)
    before = _snapshot(task)
    with pytest.raises(TransitionNotAllowed):
        skip_task(actor=as_bob, task=task, reason="n/a")
    assert _snapshot(task) == before


def test_skip_with_a_stale_version_is_refused(mini_project, as_bob, as_carol, task_of):
    task = task_of(mini_project, "collect")
    update_task(actor=as_carol, task=task, status="in_progress")
    before = _snapshot(task)
    with pytest.raises(StaleVersion):
        skip_task(actor=as_bob, task=task, reason="n/a", version=1)
    assert _snapshot(task) == before


# --- planning and working rights -------------------------------------------------------------


def test_manager_assigns_and_dates_a_task(mini_project, as_bob, carol, dave, task_of, audit):
    task = task_of(mini_project, "collect")  # carol's: the team's operator
    new_start, new_due = dt.date(2026, 11, 3), dt.date(2026, 11, 9)
    updated = update_task(
        actor=as_bob, task=task, assignee_id=dave.pk, start_date=new_start, due_date=new_due
    )
    task.refresh_from_db()
    assert (task.assignee, task.start_date, task.due_date) == (dave, new_start, new_due)
    assert updated.version == task.version == 2
    (event,) = audit("task.updated", task)
    assert event.changes == {
        "assignee_id": {"before": carol.pk, "after": dave.pk},
        "start_date": {"before": "2026-11-02", "after": "2026-11-03"},
        "due_date": {"before": "2026-11-04", "after": "2026-11-09"},
    }


def test_manager_clears_an_assignee(mini_project, as_bob, bob, task_of):
    task = task_of(mini_project, "check")
    assert task.assignee == bob
    assert update_task(actor=as_bob, task=task, assignee_id=None).assignee_id is None


@pytest.mark.parametrize(
    "change",
    [{"assignee_id": "carol"}, {"due_date": dt.date(2026, 12, 1)}, {"start_date": None}],
    ids=["assignee", "due_date", "start_date"],
)
def test_operator_cannot_plan_a_task(request, mini_project, as_carol, task_of, change):
    change = {
        k: request.getfixturevalue(v).pk if k == "assignee_id" else v for k, v in change.items()
    }
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(PermissionDenied):
        update_task(actor=as_carol, task=task, **change)
    assert _snapshot(task) == before


def test_operator_cannot_plan_even_together_with_a_status_change(
    mini_project, as_carol, carol, task_of
):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(PermissionDenied):
        update_task(actor=as_carol, task=task, status="in_progress", assignee_id=carol.pk)
    assert _snapshot(task) == before


def test_manager_of_another_project_cannot_plan_its_tasks(
    mini_project, other_manager, carol, task_of
):
    with pytest.raises(PermissionDenied):
        update_task(
            actor=other_manager, task=task_of(mini_project, "collect"), assignee_id=carol.pk
        )


def test_assignee_must_be_a_member_of_the_organization(mini_project, as_bob, mallory, task_of):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(InvalidInput) as caught:
        update_task(actor=as_bob, task=task, assignee_id=mallory.pk)
    assert caught.value.errors[0].field == "assignee_id"
    assert _snapshot(task) == before


def test_due_date_cannot_be_before_the_start_date(mini_project, as_bob, task_of):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(InvalidInput) as caught:
        update_task(actor=as_bob, task=task, due_date=task.start_date - dt.timedelta(days=1))
    assert caught.value.errors[0].field == "due_date"
    assert _snapshot(task) == before


def test_operator_not_on_the_team_cannot_work_on_the_task(mini_project, org, as_alice, task_of):
    from linkstar.accounts.services import add_member
    from tests.support.seed import PASSWORD

    outsider = add_member(
        actor=as_alice, email="otto@example.com", role="operator", name="Otto", password=PASSWORD
    ).user
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(PermissionDenied):
        update_task(actor=actor_of(org, outsider), task=task, status="in_progress")
    with pytest.raises(PermissionDenied):
        update_task(
            actor=actor_of(org, outsider),
            task=task,
            checklist=[{"text": "licence", "done": True}, {"text": "id card", "done": False}],
        )
    assert _snapshot(task) == before


def test_operator_assigned_a_task_may_work_on_it_without_being_on_the_team(
    mini_project, org, as_alice, as_bob, task_of
):
    from linkstar.accounts.services import add_member
    from tests.support.seed import PASSWORD

    helper = add_member(
        actor=as_alice, email="hana@example.com", role="operator", name="Hana", password=PASSWORD
    ).user
    task = update_task(actor=as_bob, task=task_of(mini_project, "collect"), assignee_id=helper.pk)
    started = update_task(actor=actor_of(org, helper), task=task, status="in_progress")
    assert started.status == TaskStatus.IN_PROGRESS


@pytest.mark.parametrize("who", ["frank", "grace"])
def test_auditor_and_client_cannot_change_a_task(request, org, mini_project, task_of, who):
    actor = actor_of(org, request.getfixturevalue(who))
    with pytest.raises(PermissionDenied):
        update_task(actor=actor, task=task_of(mini_project, "collect"), status="in_progress")


def test_reviewer_not_on_the_team_cannot_work_on_the_task(mini_project, org, dave, task_of):
    with pytest.raises(PermissionDenied):
        update_task(
            actor=actor_of(org, dave), task=task_of(mini_project, "collect"), status="in_progress"
        )


def test_another_organizations_admin_gets_not_found(mini_project, other_org, mallory, task_of):
    from linkstar.core.exceptions import NotFound

    with pytest.raises(NotFound):
        update_task(
            actor=actor_of(other_org, mallory),
            task=task_of(mini_project, "collect"),
            status="in_progress",
        )


# --- checklist -------------------------------------------------------------------------------


def test_operator_ticks_checklist_items(mini_project, as_carol, task_of, audit):
    task = task_of(mini_project, "collect")
    ticked = [{"text": "licence", "done": True}, {"text": "id card", "done": False}]
    updated = update_task(actor=as_carol, task=task, checklist=ticked)
    task.refresh_from_db()
    assert task.checklist == updated.checklist == ticked
    assert task.status == TaskStatus.TODO
    (event,) = audit("task.updated", task)
    assert event.changes == {
        "checklist": {
            "before": [{"text": "licence", "done": False}, {"text": "id card", "done": False}],
            "after": ticked,
        }
    }


@pytest.mark.parametrize(
    "checklist",
    [
        [{"text": "licence", "done": True}],
        [{"text": "id card", "done": True}, {"text": "licence", "done": True}],
        [{"text": "licence", "done": True}, {"text": "passport", "done": True}],
    ],
    ids=["missing item", "reordered", "other item"],
)
def test_checklist_must_keep_the_tasks_items(mini_project, as_carol, task_of, checklist):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    with pytest.raises(InvalidInput) as caught:
        update_task(actor=as_carol, task=task, checklist=checklist)
    assert caught.value.errors[0].field == "checklist"
    assert _snapshot(task) == before


# --- versions and audit ----------------------------------------------------------------------


def test_stale_version_changes_nothing(mini_project, as_bob, as_carol, carol, task_of):
    task = task_of(mini_project, "collect")
    update_task(actor=as_carol, task=task, status="in_progress", version=1)
    before = _snapshot(task)
    with pytest.raises(StaleVersion) as caught:
        update_task(actor=as_bob, task=task, assignee_id=carol.pk, version=1)
    assert caught.value.code == "stale_version"
    assert _snapshot(task) == before


def test_status_changes_are_audited_with_before_and_after(
    mini_project, as_carol, carol, task_of, audit
):
    task = task_of(mini_project, "collect")
    _bring_to(as_carol, None, task, "done")
    events = audit("task.updated", task)
    assert [e.changes for e in events] == [
        {"status": {"before": "todo", "after": "in_progress"}},
        {
            "status": {"before": "in_progress", "after": "done"},
            # finished with its checklist unticked: recorded, never silent
            "unticked": {"before": None, "after": ["licence", "id card"]},
        },
    ]
    assert {e.actor for e in events} == {carol}
    assert {e.project_id for e in events} == {mini_project.pk}


def test_an_update_that_changes_nothing_is_not_audited(mini_project, as_bob, task_of):
    task = task_of(mini_project, "collect")
    before = _snapshot(task)
    update_task(actor=as_bob, task=task, due_date=task.due_date, start_date=task.start_date)
    assert _snapshot(task) == before
