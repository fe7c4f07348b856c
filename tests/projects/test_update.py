"""update_project: store name, manager, team, dates; task dates follow the start date."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, NotFound, PermissionDenied, StaleVersion
from linkstar.projects.models import StoreProject, Task, TaskStatus
from linkstar.projects.services import skip_task, update_project, update_task
from tests.support.seed import actor_of

START = dt.date(2026, 11, 2)
DAY = dt.timedelta(days=1)


def _snapshot(project: StoreProject) -> tuple:
    project = StoreProject.objects.get(pk=project.pk)
    return (
        project.store_name,
        project.manager_id,
        sorted(project.members.values_list("pk", flat=True)),
        project.start_date,
        project.planned_finish,
        project.version,
        sorted(project.tasks.values_list("key", "start_date", "due_date", "version")),
        AuditEvent.objects.count(),
    )


def _dates(project: StoreProject) -> dict[str, tuple[dt.date, dt.date]]:
    return {t.key: (t.start_date, t.due_date) for t in Task.objects.filter(project=project)}


def test_manager_renames_the_store(mini_project, as_bob, bob, audit):
    updated = update_project(
        actor=as_bob, project=mini_project, store_name="  New Name ", version=1
    )
    mini_project.refresh_from_db()
    assert mini_project.store_name == updated.store_name == "New Name"
    assert mini_project.version == 2
    (event,) = audit("project.updated", mini_project)
    assert event.actor == bob
    assert event.project_id == mini_project.pk
    assert event.changes == {"store_name": {"before": "Mini Shop US", "after": "New Name"}}


def test_empty_store_name_is_refused(mini_project, as_bob):
    before = _snapshot(mini_project)
    with pytest.raises(InvalidInput) as caught:
        update_project(actor=as_bob, project=mini_project, store_name="  ")
    assert caught.value.errors[0].field == "store_name"
    assert _snapshot(mini_project) == before


def test_manager_hands_the_project_to_another_manager(mini_project, as_bob, bob, alice, audit):
    update_project(actor=as_bob, project=mini_project, manager_id=alice.pk)
    assert StoreProject.objects.get(pk=mini_project.pk).manager == alice
    (event,) = audit("project.updated", mini_project)
    assert event.changes == {"manager_id": {"before": bob.pk, "after": alice.pk}}


def test_the_former_manager_may_no_longer_change_the_project(mini_project, as_bob, alice):
    """Also with the project object read before the hand-over: rights are checked on the row."""
    update_project(
        actor=as_bob, project=StoreProject.objects.get(pk=mini_project.pk), manager_id=alice.pk
    )
    assert mini_project.manager_id != alice.pk  # the caller's copy is stale
    with pytest.raises(PermissionDenied):
        update_project(actor=as_bob, project=mini_project, store_name="Mine again")


@pytest.mark.parametrize("who", ["carol", "dave", "mallory"])
def test_manager_must_be_a_manager_or_admin_of_the_organization(request, mini_project, as_bob, who):
    user = request.getfixturevalue(who)
    before = _snapshot(mini_project)
    with pytest.raises(InvalidInput) as caught:
        update_project(actor=as_bob, project=mini_project, manager_id=user.pk)
    assert caught.value.errors[0].field == "manager_id"
    assert _snapshot(mini_project) == before


def test_manager_changes_the_team(mini_project, as_bob, carol, dave, erin, audit):
    update_project(actor=as_bob, project=mini_project, members=[dave.pk, erin.pk, dave.pk])
    assert set(StoreProject.objects.get(pk=mini_project.pk).members.all()) == {dave, erin}
    (event,) = audit("project.updated", mini_project)
    assert event.changes == {
        "member_ids": {"before": [carol.pk], "after": sorted([dave.pk, erin.pk])}
    }


def test_team_members_must_be_members_of_the_organization(mini_project, as_bob, dave, mallory):
    before = _snapshot(mini_project)
    with pytest.raises(InvalidInput) as caught:
        update_project(actor=as_bob, project=mini_project, members=[dave.pk, mallory.pk])
    assert caught.value.errors[0].field == "members"
    assert str(mallory.pk) in caught.value.errors[0].message
    assert _snapshot(mini_project) == before


def test_moving_the_start_date_moves_the_tasks_not_started(
    mini_project, as_bob, as_carol, task_of, audit
):
    before = _dates(mini_project)
    update_task(actor=as_carol, task=task_of(mini_project, "announce"), status="in_progress")
    skip_task(actor=as_bob, task=task_of(mini_project, "collect"), reason="on file")
    versions = dict(Task.objects.filter(project=mini_project).values_list("key", "version"))

    update_project(actor=as_bob, project=mini_project, start_date=START + 7 * DAY)

    after = _dates(mini_project)
    for key in ["check", "submit", "go-live"]:
        assert after[key] == (before[key][0] + 7 * DAY, before[key][1] + 7 * DAY), key
    for key in ["announce", "collect"]:  # started, or finished: their dates stay
        assert after[key] == before[key], key
    new_versions = dict(Task.objects.filter(project=mini_project).values_list("key", "version"))
    assert {k for k in versions if new_versions[k] != versions[k]} == {"check", "submit", "go-live"}
    mini_project.refresh_from_db()
    assert mini_project.start_date == START + 7 * DAY
    assert mini_project.planned_finish == START + 14 * DAY
    (event,) = audit("project.updated", mini_project)
    assert event.changes == {
        "start_date": {"before": "2026-11-02", "after": "2026-11-09"},
        "planned_finish": {"before": "2026-11-09", "after": "2026-11-16"},
    }


def test_moving_the_start_date_earlier_moves_the_tasks_back(mini_project, as_bob):
    before = _dates(mini_project)
    update_project(actor=as_bob, project=mini_project, start_date=START - 3 * DAY)
    after = _dates(mini_project)
    assert after == {k: (s - 3 * DAY, d - 3 * DAY) for k, (s, d) in before.items()}
    assert StoreProject.objects.get(pk=mini_project.pk).planned_finish == START + 4 * DAY


def test_moving_the_start_past_the_old_planned_finish_moves_the_finish_too(mini_project, as_bob):
    """The planned finish (start + 7 days) follows the start; the move is not refused."""
    update_project(actor=as_bob, project=mini_project, start_date=START + 30 * DAY)
    mini_project.refresh_from_db()
    assert mini_project.start_date == START + 30 * DAY
    assert mini_project.planned_finish == START + 37 * DAY
    assert _dates(mini_project)["go-live"] == (START + 34 * DAY, START + 37 * DAY)


def test_explicit_planned_finish_is_kept_when_the_start_moves(mini_project, as_bob):
    update_project(
        actor=as_bob,
        project=mini_project,
        start_date=START + 2 * DAY,
        planned_finish=START + 20 * DAY,
    )
    mini_project.refresh_from_db()
    assert (mini_project.start_date, mini_project.planned_finish) == (
        START + 2 * DAY,
        START + 20 * DAY,
    )
    assert _dates(mini_project)["collect"] == (START + 2 * DAY, START + 4 * DAY)


def test_planned_finish_cannot_be_before_the_start(mini_project, as_bob):
    before = _snapshot(mini_project)
    with pytest.raises(InvalidInput) as caught:
        update_project(actor=as_bob, project=mini_project, planned_finish=START - DAY)
    assert caught.value.errors[0].field == "planned_finish"
    assert _snapshot(mini_project) == before


def test_stale_version_changes_nothing(mini_project, as_bob):
    update_project(actor=as_bob, project=mini_project, store_name="First", version=1)
    before = _snapshot(mini_project)
    with pytest.raises(StaleVersion) as caught:
        update_project(
            actor=as_bob, project=mini_project, store_name="Second", start_date=START, version=1
        )
    assert caught.value.code == "stale_version"
    assert _snapshot(mini_project) == before


def test_an_update_that_changes_nothing_is_not_audited(mini_project, as_bob, carol):
    before = _snapshot(mini_project)
    update_project(
        actor=as_bob,
        project=mini_project,
        store_name="Mini Shop US",
        members=[carol.pk],
        start_date=START,
    )
    assert _snapshot(mini_project) == before


def test_manager_who_does_not_manage_the_project_cannot_change_it(mini_project, other_manager):
    before = _snapshot(mini_project)
    with pytest.raises(PermissionDenied):
        update_project(actor=other_manager, project=mini_project, store_name="Taken over")
    assert _snapshot(mini_project) == before


@pytest.mark.parametrize("who", ["carol", "dave", "frank", "grace"])
def test_only_the_manager_or_an_admin_changes_a_project(request, org, mini_project, who):
    actor = actor_of(org, request.getfixturevalue(who))
    before = _snapshot(mini_project)
    with pytest.raises(PermissionDenied):
        update_project(actor=actor, project=mini_project, start_date=START + DAY)
    assert _snapshot(mini_project) == before


def test_admin_changes_any_project(mini_project, as_alice, alice, audit):
    update_project(actor=as_alice, project=mini_project, store_name="By the admin")
    assert StoreProject.objects.get(pk=mini_project.pk).store_name == "By the admin"
    assert audit("project.updated", mini_project)[0].actor == alice


def test_another_organizations_admin_gets_not_found(mini_project, other_org, mallory):
    with pytest.raises(NotFound):
        update_project(
            actor=actor_of(other_org, mallory), project=mini_project, store_name="Stolen"
        )


def test_in_progress_task_keeps_its_dates_and_status(mini_project, as_bob, as_carol, task_of):
    task = update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")
    update_project(actor=as_bob, project=mini_project, start_date=START + 5 * DAY)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert (task.start_date, task.due_date) == (START, START + 2 * DAY)


def test_a_new_manager_takes_over_the_open_manager_steps(project, as_bob, alice, org):
    manager_steps = Task.objects.filter(project=project, role="manager")
    assert manager_steps.exists()
    assert set(manager_steps.values_list("assignee_id", flat=True)) == {project.manager_id}
    update_project(actor=as_bob, project=project, manager_id=alice.pk)
    assert set(manager_steps.values_list("assignee_id", flat=True)) == {alice.pk}


def test_renaming_to_a_store_already_opened_on_the_site_is_refused(
    project, as_bob, amazon_na, entity
):
    from linkstar.projects.services import create_project

    other = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Second Shop", entity_id=entity.pk
    )
    with pytest.raises(InvalidInput) as refused:
        update_project(actor=as_bob, project=other, store_name=project.store_name)
    assert refused.value.errors[0].field == "store_name"
    other.refresh_from_db()
    assert other.store_name == "Second Shop"
