"""Seller entities through the REST API: the legal representative's ID number never leaves plain."""

from __future__ import annotations

import json

from linkstar.audit.models import AuditEvent
from linkstar.entities.models import SellerEntity

ID_NUMBER = "440301198805121234"  # the `entity` fixture's
MASKED = "44************1234"
NEW_ID = "330102199001011234"


def error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert body["detail"] and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def snapshot() -> tuple:
    return (
        AuditEvent.objects.count(),
        list(SellerEntity.objects.order_by("pk").values()),
    )


def assert_never_plain(*plain: str) -> None:
    """No audit event of any organization holds the plain numbers."""
    changes = json.dumps([e.changes for e in AuditEvent.objects.all()], ensure_ascii=False)
    reprs = " ".join(AuditEvent.objects.values_list("object_repr", flat=True))
    for value in plain:
        assert value not in changes
        assert value not in reprs


def test_manager_creates_an_entity_and_the_answer_masks_the_id_number(api, bob, org):
    r = api(bob).post(
        "/orgs/acme/entities",
        {
            "name": " 广州市南风贸易有限公司 ",
            "registration_number": "91440101MA5ABCDE12",
            "country": "CN",
            "legal_rep_name": "李娜",
            "legal_rep_id_number": NEW_ID,
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    entity = SellerEntity.objects.get(pk=body["id"])
    assert body["name"] == entity.name == "广州市南风贸易有限公司"
    assert body["legal_rep_id_number"] == "33************1234"
    assert body["registration_number"] == "91************DE12"  # sensitive: masked too
    assert entity.registration_number == "91440101MA5ABCDE12"
    assert body["version"] == 1
    assert entity.legal_rep_id_number == NEW_ID  # kept, only answered masked
    assert NEW_ID not in r.content.decode()
    event = AuditEvent.objects.get(action="entity.created", object_id=str(entity.pk))
    assert event.actor_id == bob.pk
    assert event.changes["legal_rep_id_number"]["after"] == "33************1234"
    assert_never_plain(NEW_ID)


def test_every_answer_masks_the_id_number(api, alice, bob, carol, frank, entity):
    for user in (alice, bob, carol, frank):
        client = api(user)
        listed = client.get("/orgs/acme/entities")
        one = client.get(f"/orgs/acme/entities/{entity.pk}")
        for r in (listed, one):
            assert r.status_code == 200
            assert ID_NUMBER not in r.content.decode()
        assert listed.json()["items"][0]["legal_rep_id_number"] == MASKED
        assert one.json()["legal_rep_id_number"] == MASKED
    r = api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": "met the owner"})
    assert r.status_code == 200
    assert r.json()["legal_rep_id_number"] == MASKED
    assert ID_NUMBER not in r.content.decode()


def test_changing_the_id_number_answers_and_audits_it_masked(api, bob, entity):
    r = api(bob).patch(
        f"/orgs/acme/entities/{entity.pk}", {"legal_rep_id_number": NEW_ID, "version": 1}
    )
    assert r.status_code == 200, r.content
    assert r.json()["legal_rep_id_number"] == "33************1234"
    assert r.json()["version"] == 2
    assert NEW_ID not in r.content.decode()
    event = AuditEvent.objects.get(action="entity.updated")
    assert event.changes == {
        "legal_rep_id_number": {"before": MASKED, "after": "33************1234"}
    }
    assert_never_plain(NEW_ID, ID_NUMBER)


def test_audit_api_never_shows_the_plain_number(api, alice, bob, entity):
    api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"legal_rep_id_number": NEW_ID})
    r = api(alice).get("/orgs/acme/audit", object_type="sellerentity", limit=500)
    assert r.status_code == 200
    assert r.json()["count"] == 2
    text = r.content.decode()
    assert NEW_ID not in text and ID_NUMBER not in text


def test_short_id_numbers_are_mostly_hidden(api, bob, org):
    r = api(bob).post("/orgs/acme/entities", {"name": "Tiny", "legal_rep_id_number": "A1234567"})
    assert r.status_code == 201
    masked = r.json()["legal_rep_id_number"]
    assert masked != "A1234567" and masked.count("*") >= 5 and len(masked) == 8
    assert_never_plain("A1234567")


def test_list_and_get(api, carol, entity, entity_yunfan):
    client = api(carol)
    body = client.get("/orgs/acme/entities").json()
    assert body["count"] == 2
    assert {e["id"] for e in body["items"]} == {entity.pk, entity_yunfan.pk}
    one = client.get(f"/orgs/acme/entities/{entity_yunfan.pk}").json()
    assert one["name"] == "杭州云帆贸易有限公司"
    assert one["name_en"] == "Hangzhou Yunfan"
    assert one["legal_rep_id_number"] == ""
    error(client.get("/orgs/acme/entities/999999"), 404, "not_found")


def test_client_sees_only_her_own_entity(api, grace, entity, entity_yunfan):
    client = api(grace)
    assert [e["id"] for e in client.get("/orgs/acme/entities").json()["items"]] == [
        entity_yunfan.pk
    ]
    error(client.get(f"/orgs/acme/entities/{entity.pk}"), 404, "not_found")
    assert client.get(f"/orgs/acme/entities/{entity_yunfan.pk}").status_code == 200


def test_another_org_never_sees_the_entity(api, mallory, entity):
    client = api(mallory)
    before = snapshot()
    error(client.get(f"/orgs/evil/entities/{entity.pk}"), 404, "not_found")
    error(client.patch(f"/orgs/evil/entities/{entity.pk}", {"name": "Mine"}), 404, "not_found")
    error(client.get(f"/orgs/acme/entities/{entity.pk}"), 404, "not_found")
    assert client.get("/orgs/evil/entities").json() == {"items": [], "count": 0}
    assert snapshot() == before


def test_operators_reviewers_auditors_and_clients_cannot_create(
    api, carol, dave, frank, grace, entity
):
    before = snapshot()
    for user in (carol, dave, frank, grace):
        r = api(user).post("/orgs/acme/entities", {"name": "Not Allowed Ltd"})
        error(r, 403, "permission_denied")
        r = api(user).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": "hi"})
        assert r.status_code in (403, 404)  # grace does not even see it
    assert snapshot() == before


def test_duplicate_name_gets_422_naming_the_field(api, bob, entity, entity_yunfan):
    client = api(bob)
    before = snapshot()
    for name in (entity.name, f"  {entity.name} "):
        body = error(client.post("/orgs/acme/entities", {"name": name}), 422, "invalid")
        assert [e["field"] for e in body["errors"]] == ["name"]
    body = error(
        client.patch(f"/orgs/acme/entities/{entity_yunfan.pk}", {"name": entity.name}),
        422,
        "invalid",
    )
    assert [e["field"] for e in body["errors"]] == ["name"]
    assert snapshot() == before


def test_same_name_in_another_org_is_fine(api, mallory, entity):
    r = api(mallory).post("/orgs/evil/entities", {"name": entity.name})
    assert r.status_code == 201


def test_missing_or_empty_name_gets_422(api, bob, entity):
    client = api(bob)
    before = snapshot()
    for body, path in (
        ({}, "/orgs/acme/entities"),
        ({"name": "   "}, "/orgs/acme/entities"),
        ({"name": ""}, f"/orgs/acme/entities/{entity.pk}"),
    ):
        method = client.post if path.endswith("entities") else client.patch
        r = error(method(path, body), 422, "invalid")
        assert [e["field"] for e in r["errors"]] == ["name"]
    assert snapshot() == before


def test_stale_version_gets_409_and_changes_nothing(api, alice, bob, entity):
    assert (
        api(alice).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": "first"}).status_code == 200
    )
    before = snapshot()
    r = api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": "second", "version": 1})
    error(r, 409, "stale_version")
    assert snapshot() == before
    entity.refresh_from_db()
    assert (entity.notes, entity.version) == ("first", 2)
    r = api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": "second", "version": 2})
    assert r.status_code == 200
    assert r.json()["version"] == 3


def test_patch_without_a_change_keeps_the_version_and_writes_no_event(api, bob, entity):
    before = snapshot()
    r = api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"notes": entity.notes, "version": 1})
    assert r.status_code == 200
    assert r.json()["version"] == 1
    assert snapshot() == before


def test_overlong_values_get_422_naming_each_field(api, bob, entity):
    client = api(bob)
    before = snapshot()
    body = error(
        client.post(
            "/orgs/acme/entities",
            {"name": "x" * 201, "country": "x" * 9, "legal_rep_id_number": "1" * 65},
        ),
        422,
        "invalid",
    )
    assert {e["field"] for e in body["errors"]} == {"name", "country", "legal_rep_id_number"}
    assert "1" * 65 not in json.dumps(body)  # not even a refused ID number is echoed
    body = error(
        client.patch(
            f"/orgs/acme/entities/{entity.pk}",
            {"registration_number": "x" * 65, "legal_rep_name": "x" * 101},
        ),
        422,
        "invalid",
    )
    assert {e["field"] for e in body["errors"]} == {"registration_number", "legal_rep_name"}
    assert snapshot() == before
