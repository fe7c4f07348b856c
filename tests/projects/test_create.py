"""create_project: tasks from the template version, codes, manager, refusals, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.entities.services import create_entity
from linkstar.playbooks.models import VersionStatus
from linkstar.playbooks.services import create_draft_version
from linkstar.projects.models import (
    ProjectCodeSequence,
    ProjectStatus,
    Stage,
    StageChange,
    StoreProject,
    Task,
    TaskStatus,
)
from linkstar.projects.services import create_project, org_today
from tests.support.seed import actor_of

START = dt.date(2026, 11, 2)


def _counts() -> tuple[int, ...]:
    return (
        StoreProject.objects.count(),
        Task.objects.count(),
        Task.depends_on.through.objects.count(),
        StageChange.objects.count(),
        AuditEvent.objects.count(),
        ProjectCodeSequence.objects.count(),
    )


def _create(actor, template, entity, **kwargs) -> StoreProject:
    fields = {"store_name": "Shop", "entity_id": entity.pk, "start_date": START, **kwargs}
    return create_project(actor=actor, template_id=template.pk, **fields)


# --- tasks and dates -------------------------------------------------------------------------


def test_tasks_are_materialised_from_the_latest_published_version(project, amazon_na):
    version = amazon_na.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number")[0]
    blueprints = list(version.blueprints.order_by("position"))
    tasks = {t.key: t for t in project.tasks.prefetch_related("depends_on")}

    assert project.template_version == version
    assert len(tasks) == len(blueprints) == project.task_count > 10
    for bp in blueprints:
        task = tasks[bp.key]
        assert task.position == bp.position
        assert task.title == bp.title
        assert task.phase == bp.phase
        assert task.status == TaskStatus.TODO
        assert task.approval_levels == bp.approval_levels
        assert task.document_types == bp.document_types
        assert task.sets_stage == bp.sets_stage
        assert [item["text"] for item in task.checklist] == bp.checklist
        assert [item.get("text_en") for item in task.checklist] == (
            bp.checklist_en or [None] * len(bp.checklist)
        )
        assert not any(item["done"] for item in task.checklist)
        assert task.organization_id == project.organization_id


def test_task_dates_are_project_start_plus_offset_and_duration(project, amazon_na):
    version = project.template_version
    for bp in version.blueprints.all():
        task = project.tasks.get(key=bp.key)
        assert task.start_date == START + dt.timedelta(days=bp.offset_days)
        assert task.due_date == task.start_date + dt.timedelta(days=bp.duration_days)


def test_task_dependencies_point_at_the_tasks_of_the_same_project(project):
    ids = dict(project.tasks.values_list("key", "pk"))
    for bp in project.template_version.blueprints.all():
        task = project.tasks.get(key=bp.key)
        assert set(task.depends_on.values_list("pk", flat=True)) == {ids[k] for k in bp.depends_on}
    review = project.tasks.get(key="review-document-pack")
    assert review.depends_on.count() == 6


def test_dependencies_of_two_projects_never_cross(project, as_bob, amazon_na, entity):
    second = _create(as_bob, amazon_na, entity, store_name="Second Shop")
    own = set(second.tasks.values_list("pk", flat=True))
    deps = Task.depends_on.through.objects.filter(from_task_id__in=own)
    assert deps.exists()
    assert set(deps.values_list("to_task_id", flat=True)) <= own


def test_planned_finish_is_the_latest_due_date(project, mini_project):
    latest = max(project.tasks.values_list("due_date", flat=True))
    assert project.planned_finish == latest
    # mini: go-live starts on day 4 and lasts 3 days
    assert mini_project.planned_finish == START + dt.timedelta(days=7)


def test_new_project_is_preparing_active_with_a_first_stage_change(project, bob):
    project.refresh_from_db()
    assert project.stage == Stage.PREPARING
    assert project.status == ProjectStatus.ACTIVE
    assert project.finished_task_count == 0
    assert project.progress == 0
    assert project.created_by == bob
    change = StageChange.objects.get(project=project)
    assert (change.from_stage, change.to_stage, change.actor) == ("", Stage.PREPARING, bob)


def test_start_date_defaults_to_today_in_the_organization(as_bob, amazon_na, entity, org):
    created = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Today Shop", entity_id=entity.pk
    )
    assert created.start_date == org_today(org)


def test_members_join_the_team(project, carol):
    assert list(project.members.all()) == [carol]


# --- codes -----------------------------------------------------------------------------------


def test_codes_count_up_per_organization_and_prefix(as_bob, amazon_na, entity):
    first = _create(as_bob, amazon_na, entity, store_name="One")
    second = _create(as_bob, amazon_na, entity, store_name="Two")
    canada = _create(as_bob, amazon_na, entity, store_name="One", site="amazon-ca")
    third = _create(as_bob, amazon_na, entity, store_name="Three")
    assert [first.code, second.code, canada.code, third.code] == [
        "AMZ-US-0001",
        "AMZ-US-0002",
        "AMZ-CA-0001",
        "AMZ-US-0003",
    ]
    assert canada.site.code == "amazon-ca"


def test_another_organization_starts_its_codes_at_one(project, other_org, mallory, amazon_na):
    as_mallory = actor_of(other_org, mallory)
    theirs = create_entity(actor=as_mallory, name="Evil Trading Ltd")
    created = _create(as_mallory, amazon_na, theirs, store_name="Evil Store")
    assert project.code == "AMZ-US-0001"
    assert created.code == "AMZ-US-0001"
    assert created.organization == other_org


# --- manager ---------------------------------------------------------------------------------


def test_manager_defaults_to_the_creating_manager(project, bob):
    assert project.manager == bob


def test_admin_names_the_manager(as_alice, amazon_na, entity, bob):
    created = _create(as_alice, amazon_na, entity, manager_id=bob.pk)
    assert created.manager == bob
    assert created.created_by.email == "alice@example.com"


def test_manager_role_tasks_are_assigned_to_the_manager(project, bob, carol):
    manager_tasks = project.tasks.filter(role="manager")
    assert manager_tasks.count() == 2
    assert {t.assignee for t in manager_tasks} == {bob}
    # the operator's tasks go to the team's operator (tests/projects/test_team_assignment.py)
    assert {t.assignee for t in project.tasks.exclude(role="manager")} == {carol}


def test_manager_role_tasks_go_to_the_named_manager_not_the_creator(
    as_alice, amazon_na, entity, bob
):
    created = _create(as_alice, amazon_na, entity, manager_id=bob.pk)
    assert set(created.tasks.filter(role="manager").values_list("assignee", flat=True)) == {bob.pk}


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["carol", "frank", "grace", "dave"])
def test_operator_auditor_client_and_reviewer_cannot_create_project(
    request, org, who, amazon_na, entity
):
    actor = actor_of(org, request.getfixturevalue(who))
    before = _counts()
    with pytest.raises(PermissionDenied) as caught:
        _create(actor, amazon_na, entity)
    assert caught.value.code == "permission_denied"
    assert _counts() == before


def _other_org_entity(request):
    other_org = request.getfixturevalue("other_org")
    mallory = request.getfixturevalue("mallory")
    return create_entity(actor=actor_of(other_org, mallory), name="Evil Trading Ltd").pk


BAD_INPUTS = {
    "unknown entity": ("entity_id", lambda r: {"entity_id": 987654}),
    "another org's entity": ("entity_id", lambda r: {"entity_id": _other_org_entity(r)}),
    "no entity": ("entity_id", lambda r: {"entity_id": None}),
    "site the template is not for": ("site", lambda r: {"site": "amazon-de"}),
    "non-member manager": (
        "manager_id",
        lambda r: {"manager_id": r.getfixturevalue("mallory").pk},
    ),
    "operator as manager": (
        "manager_id",
        lambda r: {"manager_id": r.getfixturevalue("carol").pk},
    ),
    "auditor as manager": (
        "manager_id",
        lambda r: {"manager_id": r.getfixturevalue("frank").pk},
    ),
    "non-member in members": (
        "members",
        lambda r: {"members": [r.getfixturevalue("mallory").pk]},
    ),
    "empty store name": ("store_name", lambda r: {"store_name": "   "}),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    request, case, as_bob, amazon_na, entity
):
    field, make = BAD_INPUTS[case]
    overrides = make(request)
    before = _counts()
    with pytest.raises(InvalidInput) as caught:
        _create(as_bob, amazon_na, entity, **overrides)
    assert caught.value.code == "invalid"
    assert [e.field for e in caught.value.errors] == [field]
    assert caught.value.errors[0].row is None
    assert field in caught.value.detail
    assert _counts() == before


def test_unknown_template_is_refused(as_bob, entity):
    with pytest.raises(InvalidInput) as caught:
        create_project(actor=as_bob, template_id=987654, store_name="X", entity_id=entity.pk)
    assert caught.value.errors[0].field == "template_id"
    assert not StoreProject.objects.exists()


def test_another_organizations_template_is_unknown(
    as_bob, entity, other_org, mallory, amazon_na, request
):
    from tests.support.seed import MINI_TASKS, publish_template

    theirs = publish_template(actor_of(other_org, mallory), MINI_TASKS, name="Theirs")
    with pytest.raises(InvalidInput) as caught:
        _create(as_bob, theirs, entity)
    assert caught.value.errors[0].field == "template_id"


def test_draft_version_cannot_start_a_project(as_alice, as_bob, mini_template, entity):
    draft = create_draft_version(actor=as_alice, template=mini_template)
    with pytest.raises(InvalidInput) as caught:
        _create(as_bob, mini_template, entity, version=draft.number)
    assert caught.value.errors[0].field == "version"
    with pytest.raises(InvalidInput) as caught:
        _create(as_bob, mini_template, entity, version=99)
    assert caught.value.errors[0].field == "version"
    # without a number the latest *published* version is used
    assert _create(as_bob, mini_template, entity).template_version.number == 1


def test_same_store_on_the_same_site_twice_is_refused(project, as_bob, amazon_na, entity):
    before = _counts()
    with pytest.raises(InvalidInput) as caught:
        _create(as_bob, amazon_na, entity, store_name="  Xinghe Home US ")
    assert caught.value.errors[0].field == "store_name"
    assert _counts() == before
    # the same store name on another site is a different store
    assert _create(as_bob, amazon_na, entity, store_name="Xinghe Home US", site="amazon-mx")


def test_a_store_whose_project_was_cancelled_may_be_started_again(
    project, as_bob, amazon_na, entity
):
    from linkstar.projects.services import change_stage

    change_stage(actor=as_bob, project=project, stage="cancelled")
    again = _create(as_bob, amazon_na, entity, store_name="Xinghe Home US")
    assert again.code == "AMZ-US-0002"


def test_several_bad_fields_are_all_named(as_bob, amazon_na, carol):
    with pytest.raises(InvalidInput) as caught:
        create_project(
            actor=as_bob,
            template_id=amazon_na.pk,
            store_name="",
            entity_id=987654,
            manager_id=carol.pk,
            site="amazon-de",
        )
    assert {e.field for e in caught.value.errors} == {
        "store_name",
        "entity_id",
        "manager_id",
        "site",
    }


# --- audit -----------------------------------------------------------------------------------


def test_creation_is_audited(project, bob, carol, amazon_na, audit):
    (event,) = audit("project.created", project)
    assert event.actor == bob
    assert event.organization_id == project.organization_id
    assert event.project_id == project.pk
    changes = event.changes
    assert changes["code"] == {"before": None, "after": "AMZ-US-0001"}
    assert changes["store_name"]["after"] == "Xinghe Home US"
    assert changes["site"]["after"] == "amazon-us"
    assert changes["manager_id"]["after"] == bob.pk
    assert changes["start_date"]["after"] == "2026-11-02"
    assert changes["tasks"]["after"] == project.task_count
    assert changes["member_ids"]["after"] == [carol.pk]
    assert changes["template"]["after"] == [amazon_na.pk, project.template_version.number]
