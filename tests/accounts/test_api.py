"""/me, /orgs and membership management through the REST API."""

from __future__ import annotations

import json

from linkstar.accounts.models import Membership, User
from linkstar.accounts.services import add_member
from linkstar.audit.models import AuditEvent
from linkstar.audit.services import verify_chain
from tests.support.clients import ApiClient
from tests.support.seed import PASSWORD, actor_of


def error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert body["detail"] and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def invalid(response, field: str) -> dict:
    body = error(response, 422, "invalid")
    assert field in [e["field"] for e in body["errors"]], body
    return body


def snapshot() -> tuple:
    return (
        AuditEvent.objects.count(),
        list(User.objects.order_by("pk").values_list("pk", "email", "password")),
        list(Membership.objects.order_by("pk").values_list("pk", "user_id", "role", "entity_id")),
    )


def events(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- /me and /orgs ------------------------------------------------------------------------------


def test_me_answers_the_caller_with_every_membership(api, alice, org, other_org, mallory):
    add_member(actor=actor_of(other_org, mallory), email="alice@example.com", role="auditor")
    r = api(alice).get("/me")
    assert r.status_code == 200
    body = r.json()
    assert (body["id"], body["email"], body["name"]) == (alice.pk, "alice@example.com", "Alice")
    assert sorted((m["org"], m["role"]) for m in body["memberships"]) == [
        ("acme", "admin"),
        ("evil", "auditor"),
    ]


def test_orgs_lists_only_the_callers_organizations_with_her_role(api, bob, other_org):
    r = api(bob).get("/orgs")
    assert r.status_code == 200
    assert r.json() == {
        "items": [{"slug": "acme", "name": "Acme 代运营", "role": "manager"}],
        "count": 1,
    }


def test_user_without_organizations_sees_none(api, db):
    from linkstar.accounts.services import create_user

    loner = create_user(email="loner@example.com", password=PASSWORD)
    assert api(loner).get("/orgs").json() == {"items": [], "count": 0}
    assert api(loner).get("/me").json()["memberships"] == []


# --- members ------------------------------------------------------------------------------------


def test_members_list_shows_every_member_of_the_org_only(api, alice, bob, carol, grace, mallory):
    r = api(carol).get("/orgs/acme/members")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4  # alice, bob, carol, grace
    emails = [m["email"] for m in body["items"]]
    assert emails == sorted(emails)
    assert "mallory@example.com" not in emails
    by_email = {m["email"]: m for m in body["items"]}
    assert by_email["bob@example.com"] == {
        "user_id": bob.pk,
        "email": "bob@example.com",
        "name": "Bob",
        "role": "manager",
        "is_owner": False,
        "entity_id": None,
    }
    assert by_email["alice@example.com"]["is_owner"] is True
    assert by_email["grace@example.com"]["role"] == "client"
    assert by_email["grace@example.com"]["entity_id"] is not None


def test_admin_adds_a_new_person_who_can_then_log_in(api, alice, org):
    r = api(alice).post(
        "/orgs/acme/members",
        {
            "email": "  Henry@Example.com ",
            "role": "operator",
            "name": "Henry",
            "password": "henry's long password",
        },
    )
    assert r.status_code == 201, r.content
    henry = User.objects.get(email="henry@example.com")
    assert r.json() == {
        "user_id": henry.pk,
        "email": "henry@example.com",
        "name": "Henry",
        "role": "operator",
        "is_owner": False,
        "entity_id": None,
    }
    assert henry.check_password("henry's long password")
    token = ApiClient().post(
        "/auth/token", {"email": "henry@example.com", "password": "henry's long password"}
    )
    assert token.status_code == 201
    orgs = ApiClient(token=token.json()["token"]).get("/orgs").json()["items"]
    assert [(o["slug"], o["role"]) for o in orgs] == [("acme", "operator")]
    [event] = [e for e in events("member.added") if e.changes["email"]["after"] == henry.email]
    assert event.actor_id == alice.pk
    assert event.changes["role"] == {"before": None, "after": "operator"}
    assert "henry's long password" not in json.dumps(event.changes)


def test_a_new_person_needs_a_password(api, alice, org):
    before = snapshot()
    invalid(
        api(alice).post("/orgs/acme/members", {"email": "ivy@example.com", "role": "operator"}),
        "password",
    )
    invalid(
        api(alice).post(
            "/orgs/acme/members",
            {"email": "ivy@example.com", "role": "operator", "password": "short"},
        ),
        "password",
    )
    assert snapshot() == before


def test_adding_a_user_of_another_org_makes_no_new_user_and_keeps_her_password(
    api, alice, org, mallory
):
    users = User.objects.count()
    r = api(alice).post(
        "/orgs/acme/members",
        {"email": "mallory@example.com", "role": "reviewer", "password": "attempted reset 123"},
    )
    assert r.status_code == 201, r.content
    assert User.objects.count() == users
    mallory.refresh_from_db()
    assert mallory.check_password(PASSWORD)
    assert not mallory.check_password("attempted reset 123")
    assert Membership.objects.get(user=mallory, organization=org).role == "reviewer"


def test_adding_an_existing_member_is_a_conflict(api, alice, carol):
    before = snapshot()
    for email in ("carol@example.com", "CAROL@example.com"):
        r = api(alice).post("/orgs/acme/members", {"email": email, "role": "reviewer"})
        error(r, 409, "already_member")
    assert snapshot() == before
    assert Membership.objects.get(user=carol).role == "operator"


def test_invalid_role_or_email_gets_422_naming_the_field(api, alice, org):
    client = api(alice)
    before = snapshot()
    body = {"email": "jack@example.com", "role": "overlord", "password": "long enough"}
    invalid(client.post("/orgs/acme/members", body), "role")
    invalid(
        client.post("/orgs/acme/members", {**body, "role": "manager", "email": "jack"}), "email"
    )
    invalid(client.post("/orgs/acme/members", {**body, "role": "manager", "email": ""}), "email")
    invalid(client.post("/orgs/acme/members", {"email": "jack@example.com"}), "role")
    invalid(client.post("/orgs/acme/members", {"role": "manager"}), "email")
    assert snapshot() == before


def test_a_client_member_is_tied_to_one_of_the_orgs_entities(
    api, alice, org, entity, other_org, mallory
):
    from linkstar.entities.services import create_entity

    foreign = create_entity(actor=actor_of(other_org, mallory), name="Evil Seller")
    before = snapshot()
    body = {"email": "kim@example.com", "role": "client", "password": "long enough"}
    invalid(api(alice).post("/orgs/acme/members", {**body, "entity_id": foreign.pk}), "entity_id")
    invalid(api(alice).post("/orgs/acme/members", {**body, "entity_id": 999999}), "entity_id")
    assert snapshot() == before
    r = api(alice).post("/orgs/acme/members", {**body, "entity_id": entity.pk})
    assert r.status_code == 201
    assert r.json()["entity_id"] == entity.pk


def test_admin_changes_a_role_and_it_is_audited(api, alice, carol):
    r = api(alice).patch(f"/orgs/acme/members/{carol.pk}", {"role": "reviewer"})
    assert r.status_code == 200, r.content
    assert r.json()["role"] == "reviewer"
    assert Membership.objects.get(user=carol).role == "reviewer"
    [event] = events("member.role_changed")
    assert event.actor_id == alice.pk
    assert event.changes["role"] == {"before": "operator", "after": "reviewer"}
    assert event.object_type == "membership"
    # the new role applies at once: a reviewer sees every project
    assert api(carol).get("/me").json()["memberships"] == [{"org": "acme", "role": "reviewer"}]


def test_changing_a_role_validates_role_and_entity(api, alice, carol, other_org, mallory):
    from linkstar.entities.services import create_entity

    foreign = create_entity(actor=actor_of(other_org, mallory), name="Evil Seller")
    client = api(alice)
    before = snapshot()
    invalid(client.patch(f"/orgs/acme/members/{carol.pk}", {"role": "boss"}), "role")
    invalid(client.patch(f"/orgs/acme/members/{carol.pk}", {}), "role")
    invalid(
        client.patch(f"/orgs/acme/members/{carol.pk}", {"role": "client", "entity_id": foreign.pk}),
        "entity_id",
    )
    invalid(
        client.patch(f"/orgs/acme/members/{carol.pk}", {"role": "client", "entity_id": 999999}),
        "entity_id",
    )
    assert snapshot() == before


def test_changing_or_removing_someone_not_in_the_org_is_404(api, alice, org, mallory):
    before = snapshot()
    error(
        api(alice).patch(f"/orgs/acme/members/{mallory.pk}", {"role": "operator"}), 404, "not_found"
    )
    error(api(alice).delete(f"/orgs/acme/members/{mallory.pk}"), 404, "not_found")
    error(api(alice).delete("/orgs/acme/members/999999"), 404, "not_found")
    assert snapshot() == before


def test_admin_removes_a_member_who_then_loses_access(api, alice, carol, project):
    carol_client = api(carol)
    assert carol_client.get("/orgs/acme/projects").status_code == 200
    r = api(alice).delete(f"/orgs/acme/members/{carol.pk}")
    assert r.status_code == 204
    assert not Membership.objects.filter(user=carol).exists()
    assert User.objects.filter(pk=carol.pk).exists()  # the login stays; only the membership goes
    error(carol_client.get("/orgs/acme/projects"), 404, "not_found")
    error(carol_client.get(f"/orgs/acme/projects/{project.pk}"), 404, "not_found")
    assert carol_client.get("/orgs").json() == {"items": [], "count": 0}
    [event] = events("member.removed")
    assert event.actor_id == alice.pk
    assert event.changes["role"] == {"before": "operator", "after": None}
    assert event.changes["email"] == {"before": "carol@example.com", "after": None}


def test_the_last_admin_can_be_neither_demoted_nor_removed(api, alice, bob):
    client = api(alice)
    before = snapshot()
    error(client.patch(f"/orgs/acme/members/{alice.pk}", {"role": "manager"}), 409, "last_admin")
    error(client.delete(f"/orgs/acme/members/{alice.pk}"), 409, "last_admin")
    assert snapshot() == before
    # keeping the role is no demotion
    assert client.patch(f"/orgs/acme/members/{alice.pk}", {"role": "admin"}).status_code == 200
    # with a second admin, the first may step down
    assert client.patch(f"/orgs/acme/members/{bob.pk}", {"role": "admin"}).status_code == 200
    r = client.patch(f"/orgs/acme/members/{alice.pk}", {"role": "manager"})
    assert r.status_code == 200
    # now bob is the last admin
    error(api(bob).delete(f"/orgs/acme/members/{bob.pk}"), 409, "last_admin")


def test_every_membership_write_is_audited_in_order(api, alice, org):
    client = api(alice)
    r = client.post(
        "/orgs/acme/members",
        {"email": "lee@example.com", "role": "operator", "password": "long enough"},
    )
    uid = r.json()["user_id"]
    client.patch(f"/orgs/acme/members/{uid}", {"role": "manager"})
    client.delete(f"/orgs/acme/members/{uid}")
    trail = [
        (e.action, e.actor_id, e.object_type)
        for e in AuditEvent.objects.filter(organization=org).order_by("seq")
        if e.action.startswith("member.") and "lee@example.com" in json.dumps(e.changes)
    ]
    assert trail == [
        ("member.added", alice.pk, "membership"),
        ("member.role_changed", alice.pk, "membership"),
        ("member.removed", alice.pk, "membership"),
    ]
    audit = client.get("/orgs/acme/audit", action="member.").json()
    assert [e["action"] for e in audit["items"][:3]] == [
        "member.removed",
        "member.role_changed",
        "member.added",
    ]
    assert verify_chain(organization_id=org.pk).ok


def test_overlong_name_or_email_gets_422_naming_the_field(api, alice, org):
    client = api(alice)
    before = snapshot()
    body = {"email": "long@example.com", "role": "operator", "password": "long enough"}
    invalid(client.post("/orgs/acme/members", {**body, "name": "x" * 151}), "name")
    invalid(
        client.post("/orgs/acme/members", {**body, "email": "x" * 250 + "@example.com"}), "email"
    )
    assert snapshot() == before
