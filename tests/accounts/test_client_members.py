"""A client sees only the people of its own seller entity and the team of its entity's projects:
not the rest of the staff, not the other clients (issue 15 §1), in the API and on the page."""

from __future__ import annotations

import pytest

from linkstar.accounts.services import add_member
from linkstar.entities.services import create_credential, reveal_secret
from linkstar.projects.selectors import workbench
from tests.support.clients import client_for
from tests.support.seed import build_project


@pytest.fixture
def yunfan_store(as_bob, mini_template, entity_yunfan, carol):
    return build_project(
        manager=as_bob,
        template=mini_template,
        entity=entity_yunfan,
        members=[carol],
        store_name="Yunfan Shop US",
    )


@pytest.fixture
def other_client(as_alice, entity):
    """A client of the other seller entity (Xinghe)."""
    return add_member(
        actor=as_alice,
        email="henry@xinghe.example",
        role="client",
        name="Henry",
        password="pass-1234-word",
        entity_id=entity.pk,
    ).user


def test_a_client_lists_its_own_people_and_its_projects_team_only(
    api, grace, bob, carol, alice, dave, frank, other_client, yunfan_store, mini_project
):
    items = api(grace).get("/orgs/acme/members").json()["items"]
    assert {m["user_id"] for m in items} == {grace.pk, bob.pk, carol.pk}
    # names only: the staff's e-mail addresses are left empty for a client (the field stays)
    assert {m["user_id"]: m["email"] for m in items} == {
        grace.pk: grace.email,
        bob.pk: "",
        carol.pk: "",
    }
    # the staff still see everyone
    staff = {m["email"] for m in api(bob).get("/orgs/acme/members").json()["items"]}
    assert {grace.email, other_client.email, alice.email, dave.email} <= staff


def test_a_client_without_a_project_sees_only_itself(api, grace, bob, other_client):
    items = api(grace).get("/orgs/acme/members").json()["items"]
    assert [m["email"] for m in items] == [grace.email]


def test_the_members_page_of_a_client_shows_no_other_client_nor_the_staff(
    grace, alice, other_client, yunfan_store
):
    page = client_for(grace).get("/o/acme/settings/members/").content.decode()
    assert grace.email in page
    assert other_client.email not in page and alice.email not in page


def test_a_clients_workbench_shows_no_staff_workload_nor_activity(grace, bob, as_bob, yunfan_store):
    page = client_for(grace).get("/o/acme/").content.decode()
    assert 'id="overdue-by-assignee"' not in page and 'id="activity"' not in page
    staff = client_for(bob).get("/o/acme/").content.decode()
    assert 'id="overdue-by-assignee"' in staff and 'id="activity"' in staff
    assert workbench(actor=as_bob)["activity"]  # the project's creation, for the staff


def test_a_clients_project_history_leaves_out_credentials_and_revealed_secrets(
    api, as_bob, bob, other_client, mini_project
):
    """``other_client`` is a client of the Xinghe entity, the seller of ``mini_project``."""
    credential = create_credential(
        actor=as_bob, project=mini_project, kind="platform_login", label="Seller Central",
        login="store@xinghe.example", secret="s3cret-pass",
    )  # fmt: skip
    reveal_secret(actor=as_bob, obj=credential, field="secret", reason="客户要求核对")
    path = f"/orgs/acme/projects/{mini_project.pk}/history"
    staff = {e["action"] for e in api(bob).get(path).json()["events"]}
    assert {"credential.created", "secret.revealed"} <= staff
    answer = api(other_client).get(path)
    assert answer.status_code == 200
    seen = {e["action"] for e in answer.json()["events"]}
    assert "project.created" in seen
    assert not {a for a in seen if a.startswith(("credential.", "secret."))}
