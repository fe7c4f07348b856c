"""Creating projects assigns each task to the team member holding the blueprint's role; a
batch spreads a role over the people chosen for it, the least loaded first (issue 12 §3.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.accounts.services import add_member
from linkstar.audit.models import AuditEvent
from linkstar.compliance import listeners as compliance_listeners
from linkstar.core.exceptions import InvalidInput
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import ProjectRow, create_project, create_projects_batch
from tests.support.seed import PASSWORD

START = dt.date(2026, 11, 2)
OPERATOR_KEYS = {"collect", "submit", "go-live", "announce"}


def _rows(entity, n: int) -> list[ProjectRow]:
    return [ProjectRow(store_name=f"Store {i:03d}", entity_id=entity.pk) for i in range(n)]


def _assignees(project) -> dict[str, int | None]:
    return dict(Task.objects.filter(project=project).values_list("key", "assignee_id"))


@pytest.fixture
def oliver(as_alice):
    return add_member(
        actor=as_alice,
        email="oliver@example.com",
        role="operator",
        name="Oliver",
        password=PASSWORD,
    ).user


def test_a_member_holding_the_role_gets_its_tasks(mini_project, bob, carol):
    assignees = _assignees(mini_project)
    assert assignees["check"] == bob.pk  # the manager role: the project's manager
    assert {k for k, uid in assignees.items() if uid == carol.pk} == OPERATOR_KEYS


def test_without_anyone_in_the_role_its_tasks_stay_unassigned(as_bob, mini_template, entity, bob):
    project = create_project(
        actor=as_bob, template_id=mini_template.pk, store_name="Solo", entity_id=entity.pk
    )
    assignees = _assignees(project)
    assert assignees["check"] == bob.pk
    assert {assignees[k] for k in OPERATOR_KEYS} == {None}


def test_members_of_another_role_do_not_take_the_operator_tasks(
    as_bob, mini_template, entity, dave
):
    project = create_project(
        actor=as_bob,
        template_id=mini_template.pk,
        store_name="Reviewed",
        entity_id=entity.pk,
        members=[dave.pk],
    )
    assert {_assignees(project)[k] for k in OPERATOR_KEYS} == {None}


def test_the_least_loaded_of_two_operators_takes_the_project(
    as_bob, mini_template, mini_project, entity, carol, oliver
):
    # carol has mini_project's four open tasks; oliver none.
    project = create_project(
        actor=as_bob,
        template_id=mini_template.pk,
        store_name="Second",
        entity_id=entity.pk,
        members=[carol.pk, oliver.pk],
    )
    assert {_assignees(project)[k] for k in OPERATOR_KEYS} == {oliver.pk}


def test_a_batch_spreads_the_chosen_operators_evenly(as_bob, mini_template, entity, carol, oliver):
    created = create_projects_batch(
        actor=as_bob,
        template_id=mini_template.pk,
        rows=_rows(entity, 4),
        start_date=START,
        team_roles={"operator": [carol.pk, oliver.pk]},
    )
    operators = [_assignees(p)["collect"] for p in created]
    assert operators == [carol.pk, oliver.pk, carol.pk, oliver.pk]
    for project, operator in zip(created, operators, strict=True):
        assignees = _assignees(project)
        assert {assignees[k] for k in OPERATOR_KEYS} == {operator}
        # who takes a project's role joins its team, the other one does not
        assert set(project.members.values_list("pk", flat=True)) == {operator}
    assert not Task.objects.filter(project__in=created, assignee__isnull=True).exists()


def test_the_batch_choice_counts_open_tasks_elsewhere(
    as_bob, mini_template, mini_project, entity, carol, oliver
):
    created = create_projects_batch(
        actor=as_bob,
        template_id=mini_template.pk,
        rows=_rows(entity, 3),
        start_date=START,
        team_roles={"operator": [carol.pk, oliver.pk]},
    )
    # carol starts with 4 open tasks: oliver takes the first two projects, then they are even
    assert [_assignees(p)["collect"] for p in created] == [oliver.pk, carol.pk, oliver.pk]


def test_the_creation_audit_shows_the_assignments(mini_project, bob, carol):
    event = AuditEvent.objects.get(action="project.created", object_id=str(mini_project.pk))
    assert event.changes["assignees"]["after"] == {
        "manager": {"user_id": bob.pk, "tasks": 1},
        "operator": {"user_id": carol.pk, "tasks": 4},
    }


@pytest.mark.parametrize(
    ("team_roles", "message"),
    [
        ({"operator": [999999]}, "999999"),
        ({"wizard": [1]}, "wizard"),
        ({"manager": [1]}, "manager"),
    ],
)
def test_a_bad_team_choice_is_named_and_nothing_is_created(
    as_bob, mini_template, entity, team_roles, message
):
    with pytest.raises(InvalidInput) as caught:
        create_projects_batch(
            actor=as_bob,
            template_id=mini_template.pk,
            rows=_rows(entity, 2),
            start_date=START,
            team_roles=team_roles,
        )
    assert caught.value.errors[0].field == "team_roles"
    assert message in str(caught.value.errors[0].message) or message == "manager"
    assert not StoreProject.objects.exists()


def test_an_auditor_cannot_be_chosen_to_do_tasks(as_bob, mini_template, entity, frank):
    with pytest.raises(InvalidInput) as caught:
        create_project(
            actor=as_bob,
            template_id=mini_template.pk,
            store_name="X",
            entity_id=entity.pk,
            team_roles={"operator": [frank.pk]},
        )
    assert "Frank" in caught.value.errors[0].message
    assert not StoreProject.objects.exists()


def test_assigning_a_batch_costs_a_bounded_number_of_queries(
    as_bob, mini_template, entity, carol, oliver, django_assert_max_num_queries, monkeypatch
):
    # Association risks between the batch's stores (one entity) cost per risk found: theirs
    # is the compliance tests' business; here, 40 projects cost what 2 do.
    monkeypatch.setattr(compliance_listeners, "after_projects_created", lambda **kw: None)

    def run(n, prefix):
        rows = [ProjectRow(store_name=f"{prefix}{i}", entity_id=entity.pk) for i in range(n)]
        return create_projects_batch(
            actor=as_bob,
            template_id=mini_template.pk,
            rows=rows,
            start_date=START,
            team_roles={"operator": [carol.pk, oliver.pk]},
        )

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        run(2, "a")
    with django_assert_max_num_queries(len(small.captured_queries)):
        run(40, "b")


def test_the_api_takes_team_roles_for_a_batch(api, bob, mini_template, entity, carol, oliver):
    answer = api(bob).post(
        "/orgs/acme/projects/batch",
        {
            "template_id": mini_template.pk,
            "start_date": "2026-11-02",
            "team_roles": {"operator": [carol.pk, oliver.pk]},
            "rows": [
                {"store_name": "A", "entity_id": entity.pk},
                {"store_name": "B", "entity_id": entity.pk},
            ],
        },
    )
    assert answer.status_code == 201, answer.content
    a, b = (StoreProject.objects.get(pk=pk) for pk in answer.json()["created"])
    assert {_assignees(a)["collect"], _assignees(b)["collect"]} == {carol.pk, oliver.pk}


def test_the_api_refuses_an_unknown_role_with_422(api, bob, mini_template, entity):
    answer = api(bob).post(
        "/orgs/acme/projects",
        {
            "template_id": mini_template.pk,
            "store_name": "A",
            "entity_id": entity.pk,
            "team_roles": {"wizard": []},
        },
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "team_roles"
    assert not StoreProject.objects.exists()


def test_the_api_takes_team_roles_for_one_project(api, bob, mini_template, entity, oliver):
    answer = api(bob).post(
        "/orgs/acme/projects",
        {
            "template_id": mini_template.pk,
            "store_name": "Solo API",
            "entity_id": entity.pk,
            "team_roles": {"operator": [oliver.pk]},
        },
    )
    assert answer.status_code == 201, answer.content
    project = StoreProject.objects.get(pk=answer.json()["id"])
    assert {_assignees(project)[k] for k in OPERATOR_KEYS} == {oliver.pk}
    assert oliver.pk in answer.json()["member_ids"]
