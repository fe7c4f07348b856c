"""The project stage state machine (change_stage) and closing a project (close_project)."""

from __future__ import annotations

import itertools

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
)
from linkstar.projects.models import ProjectStatus, Stage, StageChange, StoreProject, TaskStatus
from linkstar.projects.rules import STAGE_TRANSITIONS
from linkstar.projects.services import (
    change_stage,
    close_project,
    skip_task,
    update_project,
    update_task,
)

LEGAL = {
    ("preparing", "under_review"),
    ("preparing", "cancelled"),
    ("under_review", "needs_info"),
    ("under_review", "opened"),
    ("under_review", "rejected"),
    ("under_review", "cancelled"),
    ("needs_info", "under_review"),
    ("needs_info", "cancelled"),
    ("rejected", "preparing"),
}
STAGES = [s.value for s in Stage]
ILLEGAL = sorted(set(itertools.product(STAGES, STAGES)) - LEGAL)

# Legal moves that bring a new project (preparing) to each stage.
PATH_TO = {
    "preparing": [],
    "under_review": ["under_review"],
    "needs_info": ["under_review", "needs_info"],
    "opened": ["under_review", "opened"],
    "rejected": ["under_review", "rejected"],
    "cancelled": ["cancelled"],
}


def _bring_to(actor, project: StoreProject, stage: str) -> StoreProject:
    for step in PATH_TO[stage]:
        project = change_stage(actor=actor, project=project, stage=step)
    return StoreProject.objects.get(pk=project.pk)


def _snapshot(project: StoreProject) -> tuple:
    project = StoreProject.objects.get(pk=project.pk)
    return (
        project.stage,
        project.status,
        project.version,
        project.stage_changed_at,
        StageChange.objects.filter(project=project).count(),
        AuditEvent.objects.count(),
    )


def _finish_all_tasks(actor, project: StoreProject) -> None:
    for task in project.tasks.all():
        skip_task(actor=actor, task=task, reason="not needed for this test")


def test_the_rules_table_is_exactly_the_designed_state_machine():
    table = {(a, b) for a, targets in STAGE_TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert len(ILLEGAL) == 36 - 9


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_stage_move_is_refused_and_changes_nothing(mini_project, as_bob, current, target):
    project = _bring_to(as_bob, mini_project, current)
    before = _snapshot(project)
    with pytest.raises(TransitionNotAllowed) as caught:
        change_stage(actor=as_bob, project=project, stage=target)
    assert caught.value.code == "transition_not_allowed"
    assert caught.value.status == 409
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    ("current", "target"), sorted(LEGAL), ids=[f"{a}->{b}" for a, b in sorted(LEGAL)]
)
def test_legal_stage_move_is_recorded_and_audited(mini_project, as_bob, bob, current, target):
    project = _bring_to(as_bob, mini_project, current)
    version = project.version
    moved = change_stage(actor=as_bob, project=project, stage=target, note="  per platform mail ")
    project.refresh_from_db()
    assert moved.stage == project.stage == target
    assert project.version == version + 1
    change = StageChange.objects.filter(project=project).latest("id")
    assert (change.from_stage, change.to_stage) == (current, target)
    assert change.actor == bob
    assert change.note == "per platform mail"
    assert change.task is None
    event = AuditEvent.objects.filter(action="project.stage_changed").latest("seq")
    assert event.object_id == str(project.pk)
    assert event.project_id == project.pk
    assert event.actor == bob
    assert event.changes["stage"] == {"before": current, "after": target}
    assert event.changes["note"]["after"] == "per platform mail"


def test_stage_changes_keep_the_whole_path(mini_project, as_bob):
    for stage in ["under_review", "needs_info", "under_review", "rejected", "preparing"]:
        change_stage(actor=as_bob, project=mini_project, stage=stage)
    path = list(StageChange.objects.filter(project=mini_project).values_list("to_stage", flat=True))
    assert path == [
        "preparing",
        "under_review",
        "needs_info",
        "under_review",
        "rejected",
        "preparing",
    ]


def test_unknown_stage_is_invalid_input(mini_project, as_bob):
    with pytest.raises(InvalidInput) as caught:
        change_stage(actor=as_bob, project=mini_project, stage="launched")
    assert caught.value.errors[0].field == "stage"


def test_operator_cannot_move_stage(mini_project, as_carol):
    before = _snapshot(mini_project)
    with pytest.raises(PermissionDenied):
        change_stage(actor=as_carol, project=mini_project, stage="under_review")
    assert _snapshot(mini_project) == before


def test_manager_who_does_not_manage_the_project_cannot_move_stage(mini_project, other_manager):
    before = _snapshot(mini_project)
    with pytest.raises(PermissionDenied):
        change_stage(actor=other_manager, project=mini_project, stage="under_review")
    assert _snapshot(mini_project) == before


@pytest.mark.parametrize("who", ["dave", "frank", "grace"])
def test_reviewer_auditor_and_client_cannot_move_stage(request, org, mini_project, who):
    from tests.support.seed import actor_of

    actor = actor_of(org, request.getfixturevalue(who))
    with pytest.raises(PermissionDenied):
        change_stage(actor=actor, project=mini_project, stage="under_review")


def test_admin_can_move_stage_of_any_project(mini_project, as_alice, alice):
    change_stage(actor=as_alice, project=mini_project, stage="under_review")
    assert StageChange.objects.filter(project=mini_project).latest("id").actor == alice


def test_stale_version_refuses_the_stage_move(mini_project, as_bob):
    version = mini_project.version
    change_stage(actor=as_bob, project=mini_project, stage="under_review", version=version)
    before = _snapshot(mini_project)
    with pytest.raises(StaleVersion) as caught:
        change_stage(actor=as_bob, project=mini_project, stage="needs_info", version=version)
    assert caught.value.code == "stale_version"
    assert _snapshot(mini_project) == before


def test_another_organizations_admin_cannot_see_the_project(mini_project, other_org, mallory):
    from linkstar.core.exceptions import NotFound
    from tests.support.seed import actor_of

    with pytest.raises(NotFound):
        change_stage(actor=actor_of(other_org, mallory), project=mini_project, stage="cancelled")


# --- closing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["opened", "rejected", "cancelled"])
def test_manager_closes_a_finished_project(mini_project, as_bob, bob, stage, audit):
    _finish_all_tasks(as_bob, mini_project)
    project = _bring_to(as_bob, mini_project, stage)
    closed = close_project(actor=as_bob, project=project)
    project.refresh_from_db()
    assert closed.status == project.status == ProjectStatus.CLOSED
    assert project.stage == stage
    assert project.closed_at is not None
    (event,) = audit("project.closed", project)
    assert event.actor == bob
    assert event.changes == {"status": {"before": "active", "after": "closed"}}


@pytest.mark.parametrize("stage", ["preparing", "under_review", "needs_info"])
def test_project_still_in_progress_cannot_be_closed(mini_project, as_bob, stage):
    _finish_all_tasks(as_bob, mini_project)
    project = _bring_to(as_bob, mini_project, stage)
    before = _snapshot(project)
    with pytest.raises(TransitionNotAllowed):
        close_project(actor=as_bob, project=project)
    assert _snapshot(project) == before


def test_project_with_open_tasks_cannot_be_closed(mini_project, as_bob, task_of):
    for key in ["collect", "check", "submit", "go-live"]:
        skip_task(actor=as_bob, task=task_of(mini_project, key), reason="done elsewhere")
    project = _bring_to(as_bob, mini_project, "opened")
    before = _snapshot(project)
    with pytest.raises(Conflict) as caught:
        close_project(actor=as_bob, project=project)
    assert caught.value.code == "tasks_open"
    assert "announce" in caught.value.detail
    assert _snapshot(project) == before


def test_done_and_skipped_tasks_both_count_as_finished_for_closing(mini_project, as_bob, task_of):
    announce = task_of(mini_project, "announce")
    update_task(actor=as_bob, task=announce, status="in_progress")
    for key in ["collect", "check", "submit", "go-live"]:
        skip_task(actor=as_bob, task=task_of(mini_project, key), reason="done elsewhere")
    project = _bring_to(as_bob, mini_project, "cancelled")
    with pytest.raises(Conflict):
        close_project(actor=as_bob, project=project)
    skip_task(actor=as_bob, task=announce, reason="cancelled anyway")
    assert close_project(actor=as_bob, project=project).status == ProjectStatus.CLOSED


def test_operator_cannot_close_project(mini_project, as_bob, as_carol):
    _finish_all_tasks(as_bob, mini_project)
    project = _bring_to(as_bob, mini_project, "cancelled")
    with pytest.raises(PermissionDenied):
        close_project(actor=as_carol, project=project)
    assert StoreProject.objects.get(pk=project.pk).status == ProjectStatus.ACTIVE


def test_manager_of_another_project_cannot_close_it(mini_project, as_bob, other_manager):
    _finish_all_tasks(as_bob, mini_project)
    project = _bring_to(as_bob, mini_project, "cancelled")
    with pytest.raises(PermissionDenied):
        close_project(actor=other_manager, project=project)


@pytest.fixture
def closed_project(mini_project, as_bob):
    _finish_all_tasks(as_bob, mini_project)
    project = _bring_to(as_bob, mini_project, "rejected")
    return close_project(actor=as_bob, project=project)


@pytest.mark.parametrize("target", STAGES)
def test_closed_project_refuses_every_stage_move(closed_project, as_bob, as_alice, target):
    before = _snapshot(closed_project)
    for actor in (as_bob, as_alice):
        with pytest.raises(Conflict) as caught:
            change_stage(actor=actor, project=closed_project, stage=target)
        assert caught.value.code == "project_closed"
    assert _snapshot(closed_project) == before


def test_closed_project_refuses_closing_again(closed_project, as_bob):
    with pytest.raises(Conflict) as caught:
        close_project(actor=as_bob, project=closed_project)
    assert caught.value.code == "project_closed"


def test_closed_project_refuses_updates_and_task_changes(closed_project, as_bob, task_of):
    before = _snapshot(closed_project)
    with pytest.raises(Conflict) as caught:
        update_project(actor=as_bob, project=closed_project, store_name="Renamed")
    assert caught.value.code == "project_closed"
    task = task_of(closed_project, "collect")
    assert task.status == TaskStatus.SKIPPED
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_bob, task=task, due_date=task.due_date)
    assert caught.value.code == "project_closed"
    with pytest.raises(Conflict) as caught:
        skip_task(actor=as_bob, task=task, reason="again")
    assert caught.value.code == "project_closed"
    assert _snapshot(closed_project) == before
    assert StoreProject.objects.get(pk=closed_project.pk).store_name == "Mini Shop US"
