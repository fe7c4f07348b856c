"""The records of a seller entity over the REST API: masked answers, 404 for another
organization, 403 for a role without the right, 422 naming the field with nothing changed."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    Identifier,
)
from tests.support.vault import (
    ACCOUNT_NUMBER,
    CARD_NUMBER,
    LEGAL_REP_ID,
    OWNER_ID,
    PLAIN_VALUES,
    REGISTRATION_NUMBER,
    assert_nowhere,
    audit_text,
)

MODELS = (EntityPerson, EntityContact, CollectionAccount, EntityCard, EntityAddress)


# A body every record schema accepts (each kind takes its own fields from it).
ANY_RECORD = {
    "kind": "email",
    "value": "a@b.example",
    "role": "legal_rep",
    "name": "x",
    "provider": "bank",
    "account_holder": "x",
    "account_number": "12345678",
    "card_number": CARD_NUMBER,
    "holder": "x",
    "expiry_month": 1,
    "expiry_year": 2030,
    "text": "x",
}


def snapshot() -> tuple:
    return (
        AuditEvent.objects.count(),
        [list(m.objects.order_by("pk").values_list("pk", "version")) for m in MODELS],
        list(Identifier.objects.order_by("pk").values_list("pk", "digest")),
    )


def url(entity, segment: str, item=None) -> str:
    path = f"/orgs/acme/entities/{entity.pk}/{segment}"
    return path if item is None else f"{path}/{item.pk}"


def test_lists_answer_masked_values_to_every_member_who_sees_the_entity(
    api, alice, bob, carol, dave, frank, vault
):
    for user in (alice, bob, carol, dave, frank):
        client = api(user)
        people = client.get(url(vault.entity, "people")).json()
        assert people["count"] == 2
        numbers = {p["name"]: p["id_number"] for p in people["items"]}
        assert numbers == {"王芳": "11************4514", "张伟": "******678"}
        accounts = client.get(url(vault.entity, "accounts")).json()["items"]
        assert accounts[0]["account_number"] == "62*************6789"
        cards = client.get(url(vault.entity, "cards")).json()["items"]
        assert cards[0] | {"id": 0, "entity_id": 0} == {
            "id": 0,
            "entity_id": 0,
            "brand": "visa",
            "holder": "ZHANG WEI",
            "last4": "1111",
            "masked_number": "**** **** **** 1111",
            "expiry_month": 7,
            "expiry_year": 2029,
            "expired": False,
            "version": 1,
        }
        assert "fingerprint" not in cards[0]
        contacts = client.get(url(vault.entity, "contacts")).json()["items"]
        assert {c["value"] for c in contacts} == {"store@xinghe.example", "+86 138-0013-8000"}
        addresses = client.get(url(vault.entity, "addresses")).json()["items"]
        assert addresses[0]["kind"] == "warehouse"
        entity = client.get(f"/orgs/acme/entities/{vault.entity.pk}").json()
        assert entity["registration_number"] == "91************BCD1"
        for r in (people, accounts, cards, contacts, addresses, entity):
            assert_nowhere(str(r))


def test_a_manager_creates_every_kind_of_record(api, bob, entity):
    client = api(bob)
    bodies = {
        "people": {
            "role": "legal_rep",
            "name": "张伟",
            "name_pinyin": "Zhang Wei",
            "id_number": LEGAL_REP_ID,
            "id_expiry": "2030-01-31",
            "ownership_percent": 51.5,
        },
        "contacts": {"kind": "email", "value": " Owner@Xinghe.Example "},
        "accounts": {
            "provider": "pingpong",
            "account_holder": "Xinghe",
            "account_number": ACCOUNT_NUMBER,
        },
        "cards": {
            "card_number": CARD_NUMBER,
            "holder": "ZHANG WEI",
            "expiry_month": 1,
            "expiry_year": 2020,
        },
        "addresses": {"kind": "return", "text": "深圳市龙华区 5 号"},
    }
    answers = {}
    for segment, body in bodies.items():
        r = client.post(url(entity, segment), body)
        assert r.status_code == 201, (segment, r.content)
        answers[segment] = r.json()
        assert_nowhere(r.content.decode(), LEGAL_REP_ID, ACCOUNT_NUMBER, CARD_NUMBER)
    assert answers["people"]["id_number"] == "44************1234"
    assert answers["people"]["ownership_percent"] == 51.5
    assert answers["people"]["id_expiry"] == "2030-01-31"
    assert answers["contacts"]["value"] == "owner@xinghe.example"
    assert answers["accounts"]["account_number"] == "62*************6789"
    assert answers["cards"]["last4"] == "1111" and answers["cards"]["expired"] is True
    assert EntityPerson.objects.get().id_number == LEGAL_REP_ID
    kinds = set(Identifier.objects.filter(entity=entity).values_list("kind", flat=True))
    assert {"legal_rep_id", "email", "collection_account", "card", "address"} <= kinds
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "person.created",
        "contact.created",
        "account.created",
        "card.created",
        "address.created",
    } <= actions
    assert_nowhere(audit_text(), LEGAL_REP_ID, ACCOUNT_NUMBER, CARD_NUMBER)


def test_patch_and_delete(api, bob, vault):
    client = api(bob)
    r = client.patch(url(vault.entity, "people", vault.owner), {"id_expiry": None, "version": 1})
    assert r.status_code == 200 and r.json()["id_expiry"] is None and r.json()["version"] == 2
    r = client.patch(url(vault.entity, "cards", vault.card), {"card_number": "5555555555554444"})
    assert r.status_code == 200
    assert (r.json()["last4"], r.json()["brand"]) == ("4444", "mastercard")
    assert "5555555555554444" not in r.content.decode()
    r = client.patch(url(vault.entity, "accounts", vault.account), {"label": "USD", "version": 9})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = client.delete(url(vault.entity, "addresses", vault.address))
    assert r.status_code == 204
    assert not EntityAddress.objects.filter(pk=vault.address.pk).exists()
    assert not Identifier.objects.filter(source=f"address:{vault.address.pk}").exists()
    r = client.delete(url(vault.entity, "addresses", vault.address))
    assert r.status_code == 404


def test_bad_input_gets_422_naming_the_field_and_changes_nothing(api, bob, vault):
    client = api(bob)
    before = snapshot()
    cases = [
        ("people", {"role": "legal_rep", "name": "x", "id_number": "12AB"}, "id_number"),
        ("people", {"role": "chairman", "name": "x"}, "role"),
        ("people", {"name": "x"}, "role"),
        ("contacts", {"kind": "email", "value": "not-an-email"}, "value"),
        ("accounts", {"provider": "payoneer", "account_holder": "x"}, "account_number"),
        (
            "cards",
            {
                "card_number": "4111111111111112",
                "holder": "x",
                "expiry_month": 1,
                "expiry_year": 2030,
            },
            "card_number",
        ),
        (
            "cards",
            {"card_number": CARD_NUMBER, "holder": "x", "expiry_month": 13, "expiry_year": 2030},
            "expiry_month",
        ),
        ("addresses", {"kind": "home", "text": "x"}, "kind"),
        ("people", {"role": "legal_rep", "name": "x", "id_expiry": "tomorrow"}, "id_expiry"),
    ]
    for segment, body, field in cases:
        r = client.post(url(vault.entity, segment), body)
        assert r.status_code == 422, (segment, body, r.content)
        assert field in [e["field"] for e in r.json()["errors"]], (segment, r.json())
        assert CARD_NUMBER not in r.content.decode()
    r = client.patch(url(vault.entity, "contacts", vault.email), {"value": "nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value"
    assert snapshot() == before


@pytest.mark.parametrize("segment", ["people", "contacts", "accounts", "cards", "addresses"])
def test_roles_without_the_right_get_403_and_change_nothing(
    api, carol, dave, frank, vault, segment
):
    item = {
        "people": vault.owner,
        "contacts": vault.email,
        "accounts": vault.account,
        "cards": vault.card,
        "addresses": vault.address,
    }[segment]
    before = snapshot()
    for user in (carol, dave, frank):
        client = api(user)
        assert client.post(url(vault.entity, segment), {}).status_code in (403, 422)
        r = client.post(url(vault.entity, segment), ANY_RECORD)
        assert r.status_code == 403 and r.json()["code"] == "permission_denied", r.content
        assert client.patch(url(vault.entity, segment, item), {}).status_code == 403
        assert client.delete(url(vault.entity, segment, item)).status_code == 403
    assert snapshot() == before


def test_another_organization_gets_404_everywhere(api, mallory, grace, vault):
    own = api(mallory).post("/orgs/evil/entities", {"name": "Evil Seller"}).json()["id"]
    before = snapshot()
    for segment, item in (
        ("people", vault.owner),
        ("contacts", vault.email),
        ("accounts", vault.account),
        ("cards", vault.card),
        ("addresses", vault.address),
    ):
        for client, org in ((api(mallory), "acme"), (api(mallory), "evil"), (api(grace), "acme")):
            base = f"/orgs/{org}/entities/{vault.entity.pk}/{segment}"
            for r in (
                client.get(base),
                client.post(base, ANY_RECORD),
                client.patch(f"{base}/{item.pk}", {"label": "x"}),
                client.delete(f"{base}/{item.pk}"),
            ):
                assert r.status_code == 404, (org, segment, r.status_code)
                assert_nowhere(r.content.decode(), *PLAIN_VALUES)
        # an item of acme under mallory's own entity is not found either
        r = api(mallory).patch(f"/orgs/evil/entities/{own}/{segment}/{item.pk}", {"label": "x"})
        assert r.status_code == 404
    assert snapshot() == before


def test_lists_cost_a_fixed_number_of_queries(
    api, alice, as_alice, vault, django_assert_max_num_queries
):
    from linkstar.entities.services import create_card, create_person

    for i in range(20):
        create_person(
            actor=as_alice,
            entity=vault.entity,
            role="beneficial_owner",
            name=f"P{i}",
            id_number=f"1101011990030{i:05}",
        )
        create_card(
            actor=as_alice,
            entity=vault.entity,
            card_number=CARD_NUMBER,
            holder=f"H{i}",
            expiry_month=1,
            expiry_year=2030,
        )
    client = api(alice)
    for segment in ("people", "cards", "accounts", "contacts", "addresses"):
        with django_assert_max_num_queries(6):
            r = client.get(url(vault.entity, segment), limit=500)
        assert r.status_code == 200
    assert client.get(url(vault.entity, "people"), limit=500).json()["count"] == 22


def test_the_entity_api_takes_the_new_company_fields(api, bob, entity):
    r = api(bob).patch(
        f"/orgs/acme/entities/{entity.pk}",
        {
            "registered_address": "深圳市南山区 1 号",
            "licence_expiry": "2031-12-31",
            "registration_number": "91440300MA5G8ABCD2",
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["registered_address"] == "深圳市南山区 1 号"
    assert body["licence_expiry"] == "2031-12-31"
    assert body["registration_number"] == "91************BCD2"
    assert REGISTRATION_NUMBER not in r.content.decode()
    r = api(bob).patch(f"/orgs/acme/entities/{entity.pk}", {"licence_expiry": None})
    assert r.json()["licence_expiry"] is None
    event = AuditEvent.objects.filter(action="entity.updated").first()
    assert event.changes["registration_number"] == {
        "before": "91************BCD1",
        "after": "91************BCD2",
    }
    assert OWNER_ID not in audit_text()
