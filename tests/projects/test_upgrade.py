"""Upgrading a project to a newer template version: what is added, skipped, updated and kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from linkstar.playbooks.services import (
    create_draft_version,
    retire_version,
)
from linkstar.projects.models import StoreProject, Task, TaskStatus
from linkstar.projects.selectors.upgrade import (
    outdated_projects,
    preview_upgrade,
    target_version,
)
from linkstar.projects.services import skip_task, update_project, update_task
from linkstar.projects.services.upgrade import upgrade_project
from tests.support.seed import (
    MINI_TASKS,
    NEW_TASK,
    PROJECT_START,
    actor_of,
    changed_mini_tasks,
    publish_next,
    publish_template,
)

DAY = dt.timedelta(days=1)


def _snapshot(project: StoreProject) -> tuple:
    from linkstar.audit.models import AuditEvent

    project = StoreProject.objects.get(pk=project.pk)
    return (
        project.template_version_id,
        project.version,
        project.task_count,
        project.finished_task_count,
        sorted(
            Task.objects.filter(project=project).values_list(
                "key", "status", "title", "start_date", "due_date", "version"
            )
        ),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def v2(as_alice, mini_template):
    """Version 2: adds tax-interview, drops announce, renames and re-dates check."""
    tasks = changed_mini_tasks(
        check={"title": "Check the pack twice", "duration_days": 4}, announce=None
    )
    tasks.insert(2, NEW_TASK)
    return publish_next(as_alice, mini_template, tasks)


# --- the plan --------------------------------------------------------------------------------


def test_preview_lists_the_plan_and_writes_nothing(as_bob, mini_project, v2):
    before = _snapshot(mini_project)
    plan = preview_upgrade(actor=as_bob, project=mini_project, version=v2)
    assert plan.from_version.number == 1 and plan.to_version.number == 2
    assert plan.keys() == {
        "added": ["tax-interview"],
        "skipped": ["announce"],
        "updated": ["check"],
        "kept": [],
    }
    (updated,) = plan.updated
    assert updated.fields == ["title", "duration_days"]
    assert [c.key for c in plan.diff.changed] == ["check"]
    assert _snapshot(mini_project) == before


def test_tasks_the_new_version_adds_are_created_dated_from_the_start_and_wired(
    as_bob, mini_project, v2, task_of, bob
):
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    task = task_of(mini_project, "tax-interview")
    assert task.status == TaskStatus.TODO
    assert task.start_date == PROJECT_START + 5 * DAY
    assert task.due_date == PROJECT_START + 7 * DAY
    assert sorted(task.depends_on.values_list("key", flat=True)) == ["check", "collect"]
    assert task.assignee_id == bob.pk  # a manager's step goes to the project's manager
    assert task.document_types == ["w8ben_e"]
    assert task.approval_levels == 1
    assert task.checklist == [{"text": "W-8BEN-E signed", "done": False}]
    assert task.organization_id == mini_project.organization_id
    order = list(Task.objects.filter(project=mini_project).values_list("key", flat=True))
    assert order.index("tax-interview") == 2


def test_tasks_the_new_version_removes_are_skipped_when_not_started(
    as_bob, mini_project, v2, task_of
):
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    task = task_of(mini_project, "announce")
    assert task.status == TaskStatus.SKIPPED
    assert "2" in task.skip_reason
    assert task.completed_at is not None
    assert task.version == 2


def test_removed_tasks_already_started_or_done_are_kept(
    as_alice, as_bob, as_carol, mini_project, task_of
):
    update_task(actor=as_carol, task=task_of(mini_project, "announce"), status="in_progress")
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="done")
    v2 = publish_next(
        as_alice,
        mini_project.template_version.template,
        changed_mini_tasks(announce=None, collect=None, check={"depends_on": []}),
    )
    plan = upgrade_plan_keys(as_bob, mini_project, v2)
    assert plan["kept"] == ["collect", "announce"]
    assert plan["skipped"] == []
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    assert task_of(mini_project, "announce").status == TaskStatus.IN_PROGRESS
    assert task_of(mini_project, "collect").status == TaskStatus.DONE


def upgrade_plan_keys(actor, project, version) -> dict:
    return preview_upgrade(actor=actor, project=project, version=version).keys()


def test_changed_steps_not_started_are_updated_field_by_field(
    as_alice, as_bob, mini_project, task_of
):
    changed = {
        "title": "Submit on Seller Central",
        "title_en": "Submit on Seller Central",
        "description": "Fill in every page.",
        "phase": "review",
        "offset_days": 6,
        "duration_days": 2,
        "depends_on": ["collect"],
        "role": "reviewer",
        "document_types": ["passport", "credit_card"],
        "approval_levels": 2,
        "checklist": ["page 1", "page 2"],
        "sets_stage": "needs_info",
    }
    v2 = publish_next(
        as_alice, mini_project.template_version.template, changed_mini_tasks(submit=changed)
    )
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    task = task_of(mini_project, "submit")
    assert task.status == TaskStatus.TODO
    assert (task.title, task.title_en, task.description) == (
        "Submit on Seller Central",
        "Submit on Seller Central",
        "Fill in every page.",
    )
    assert (task.phase, task.role, task.approval_levels, task.sets_stage) == (
        "review",
        "reviewer",
        2,
        "needs_info",
    )
    assert task.document_types == ["passport", "credit_card"]
    assert task.checklist == [{"text": "page 1", "done": False}, {"text": "page 2", "done": False}]
    assert (task.start_date, task.due_date) == (PROJECT_START + 6 * DAY, PROJECT_START + 8 * DAY)
    assert list(task.depends_on.values_list("key", flat=True)) == ["collect"]
    assert task.version == 2


def test_only_the_changed_fields_are_copied_so_a_managers_planning_stays(
    as_alice, as_bob, as_carol, mini_project, task_of, carol
):
    check = task_of(mini_project, "check")
    update_task(actor=as_bob, task=check, due_date=PROJECT_START + 9 * DAY, assignee_id=carol.pk)
    collect = task_of(mini_project, "collect")
    update_task(
        actor=as_carol,
        task=collect,
        checklist=[{"text": "licence", "done": True}, {"text": "id card", "done": False}],
    )
    v2 = publish_next(
        as_alice,
        mini_project.template_version.template,
        changed_mini_tasks(
            check={"title": "Check the whole pack"},
            collect={"checklist": ["licence", "bank statement"]},
        ),
    )
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    check = task_of(mini_project, "check")
    assert check.title == "Check the whole pack"
    assert check.due_date == PROJECT_START + 9 * DAY
    assert check.assignee_id == carol.pk
    assert task_of(mini_project, "collect").checklist == [
        {"text": "licence", "done": True},
        {"text": "bank statement", "done": False},
    ]


def test_changed_steps_already_started_or_finished_are_kept(
    as_alice, as_bob, as_carol, mini_project, task_of
):
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="done")
    update_task(actor=as_carol, task=task_of(mini_project, "check"), status="in_progress")
    before = {
        key: Task.objects.filter(project=mini_project, key=key).values().get()
        for key in ("collect", "check")
    }
    v2 = publish_next(
        as_alice,
        mini_project.template_version.template,
        changed_mini_tasks(
            collect={"title": "Collect everything", "duration_days": 9},
            check={"title": "Check loudly", "checklist": ["post"], "depends_on": []},
        ),
    )
    plan = upgrade_plan_keys(as_bob, mini_project, v2)
    assert plan == {"added": [], "skipped": [], "updated": [], "kept": ["collect", "check"]}
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    for key, row in before.items():
        assert Task.objects.filter(project=mini_project, key=key).values().get() == row
    assert list(task_of(mini_project, "check").depends_on.values_list("key", flat=True)) == [
        "collect"
    ]


def test_the_project_moves_to_the_new_version_with_counters_right(
    as_bob, as_carol, mini_project, v2, task_of
):
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")
    update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="done")
    assert (
        mini_project.task_count,
        StoreProject.objects.get(pk=mini_project.pk).finished_task_count,
    ) == (5, 1)
    project = upgrade_project(actor=as_bob, project=mini_project, version=v2, expected_version=1)
    project.refresh_from_db()
    assert project.template_version_id == v2.pk
    assert project.version == 2
    assert project.task_count == 6 == Task.objects.filter(project=project).count()
    assert project.finished_task_count == 2  # collect done, announce skipped
    assert project.progress == 33


def test_the_planned_finish_follows_the_plan_unless_set_by_hand(as_alice, as_bob, mini_project):
    assert mini_project.planned_finish == PROJECT_START + 7 * DAY
    template = mini_project.template_version.template
    v2 = publish_next(as_alice, template, changed_mini_tasks(go_live={"duration_days": 10}))
    project = upgrade_project(actor=as_bob, project=mini_project, version=v2)
    assert StoreProject.objects.get(pk=project.pk).planned_finish == PROJECT_START + 14 * DAY
    update_project(actor=as_bob, project=project, planned_finish=PROJECT_START + 30 * DAY)
    v3 = publish_next(as_alice, template, changed_mini_tasks(go_live={"duration_days": 1}))
    project = upgrade_project(actor=as_bob, project=project, version=v3)
    assert StoreProject.objects.get(pk=project.pk).planned_finish == PROJECT_START + 30 * DAY


def test_an_upgrade_is_audited_with_the_keys_of_each_kind(as_bob, bob, mini_project, v2, audit):
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    (event,) = audit("project.upgraded", mini_project)
    assert event.actor == bob
    assert event.project_id == mini_project.pk
    changes = event.changes
    assert changes["template_version"] == {"before": 1, "after": 2}
    assert changes["added"] == {"before": None, "after": ["tax-interview"]}
    assert changes["skipped"] == {"before": None, "after": ["announce"]}
    assert changes["updated"] == {"before": None, "after": ["check"]}
    assert changes["kept"] == {"before": None, "after": []}
    assert changes["task_count"] == {"before": 5, "after": 6}
    assert changes["finished_task_count"] == {"before": 0, "after": 1}


def test_an_admin_may_upgrade_too(as_alice, mini_project, v2):
    assert upgrade_project(actor=as_alice, project=mini_project, version=v2).template_version == v2


def test_a_project_can_skip_versions(as_alice, as_bob, mini_project, v2):
    v3 = publish_next(
        as_alice, mini_project.template_version.template, changed_mini_tasks(announce=None)
    )
    plan = preview_upgrade(actor=as_bob, project=mini_project, version=v3)
    assert plan.keys()["skipped"] == ["announce"] and plan.keys()["added"] == []
    upgrade_project(actor=as_bob, project=mini_project, version=v3)
    assert StoreProject.objects.get(pk=mini_project.pk).template_version == v3


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["carol", "frank", "dave", "other_manager"])
def test_only_the_projects_manager_or_an_admin_may_upgrade(who, request, org, mini_project, v2):
    if who == "other_manager":
        actor = request.getfixturevalue("other_manager")
    else:
        actor = actor_of(org, request.getfixturevalue(who))
    before = _snapshot(mini_project)
    with pytest.raises(PermissionDenied):
        preview_upgrade(actor=actor, project=mini_project, version=v2)
    with pytest.raises(PermissionDenied):
        upgrade_project(actor=actor, project=mini_project, version=v2)
    assert _snapshot(mini_project) == before


def test_another_organizations_admin_gets_not_found(other_org, mallory, mini_project, v2):
    actor = actor_of(other_org, mallory)
    before = _snapshot(mini_project)
    with pytest.raises(NotFound):
        preview_upgrade(actor=actor, project=mini_project, version=v2)
    with pytest.raises(NotFound):
        upgrade_project(actor=actor, project=mini_project, version=v2)
    assert _snapshot(mini_project) == before


def test_a_stale_project_version_changes_nothing(as_bob, mini_project, v2):
    before = _snapshot(mini_project)
    with pytest.raises(StaleVersion):
        upgrade_project(actor=as_bob, project=mini_project, version=v2, expected_version=7)
    assert _snapshot(mini_project) == before


def test_the_version_must_be_newer_published_and_of_the_same_template(
    as_alice, as_bob, mini_project, v2
):
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    project = StoreProject.objects.get(pk=mini_project.pk)
    template = project.template_version.template
    older = template.versions.get(number=1)
    draft = create_draft_version(actor=as_alice, template=template)
    other = publish_template(as_alice, MINI_TASKS, name="Other").versions.get(number=1)
    before = _snapshot(project)
    for version, words in (
        (older, "already"),
        (v2, "already"),
        (draft, "published"),
        (other, "template"),
    ):
        with translation.override("en"), pytest.raises(InvalidInput) as caught:
            upgrade_project(actor=as_bob, project=project, version=version)
        assert caught.value.errors[0].field == "version"
        assert words in caught.value.errors[0].message
    assert _snapshot(project) == before


def test_a_retired_version_is_no_target(as_alice, as_bob, mini_project, v2):
    retire_version(actor=as_alice, version=v2)
    v2.refresh_from_db()
    with pytest.raises(InvalidInput):
        upgrade_project(actor=as_bob, project=mini_project, version=v2)


def test_a_closed_project_cannot_be_upgraded(as_bob, mini_project, v2, task_of):
    StoreProject.objects.filter(pk=mini_project.pk).update(status="closed")
    mini_project.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        upgrade_project(actor=as_bob, project=mini_project, version=v2)
    assert caught.value.code == "project_closed"


def test_target_version_defaults_to_the_newest_published_and_names_an_unknown_one(mini_project, v2):
    assert target_version(mini_project, None) == v2
    assert target_version(mini_project, 1).number == 1
    with pytest.raises(InvalidInput) as caught:
        target_version(mini_project, 42)
    assert caught.value.errors[0].field == "version"


# --- which projects are behind ---------------------------------------------------------------


def test_outdated_projects_are_the_active_ones_on_an_older_version(
    as_alice, as_bob, mini_project, mini_template, entity, task_of
):
    from linkstar.projects.services import create_project

    assert list(outdated_projects(actor=as_bob, template=mini_template)) == []
    v2 = publish_next(as_alice, mini_template, changed_mini_tasks(announce=None))
    newer = create_project(
        actor=as_bob, template_id=mini_template.pk, store_name="Newer", entity_id=entity.pk
    )
    assert newer.template_version == v2
    assert list(outdated_projects(actor=as_bob, template=mini_template)) == [mini_project]
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    assert list(outdated_projects(actor=as_bob, template=mini_template)) == []


def test_a_skipped_task_before_the_upgrade_stays_as_it_was(as_bob, mini_project, v2, task_of):
    skip_task(actor=as_bob, task=task_of(mini_project, "announce"), reason="not needed")
    plan = upgrade_plan_keys(as_bob, mini_project, v2)
    assert plan["kept"] == ["announce"] and plan["skipped"] == []
    upgrade_project(actor=as_bob, project=mini_project, version=v2)
    task = task_of(mini_project, "announce")
    assert (task.status, task.skip_reason) == (TaskStatus.SKIPPED, "not needed")
    assert StoreProject.objects.get(pk=mini_project.pk).finished_task_count == 1
