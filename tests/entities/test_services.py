"""The entity services: their rules, refusals, masked audit events, and the association-risk
identifiers that follow every write in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from linkstar.audit.models import AuditEvent
from linkstar.core.crypto import blind_index
from linkstar.core.exceptions import InvalidInput, PermissionDenied, StaleVersion
from linkstar.entities import services
from linkstar.entities.identifiers import card_fingerprint, digest_for, rebuild
from linkstar.entities.models import EntityCard, EntityContact, EntityPerson, Identifier
from linkstar.entities.selectors import identifiers_for
from tests.support.seed import actor_of
from tests.support.vault import (
    ACCOUNT_NUMBER,
    CARD_NUMBER,
    LEGAL_REP_ID,
    OWNER_ID,
    PASSPORT,
    REGISTRATION_NUMBER,
    assert_nowhere,
    audit_text,
)


def identifiers(entity) -> set[tuple[str, str, str]]:
    return {(i.kind, i.source, i.masked) for i in Identifier.objects.filter(entity=entity)}


def digests(entity) -> dict[str, str]:
    return {i.source: i.digest for i in Identifier.objects.filter(entity=entity)}


def fields_of(error: InvalidInput) -> list[str]:
    return [e.field for e in error.errors]


# --- identifiers ----------------------------------------------------------------------------------


def test_every_record_gives_its_identifier_with_a_masked_label(vault):
    e = vault.entity
    assert identifiers(e) == {
        ("registration_number", f"entity:{e.pk}:registration_number", "91************BCD1"),
        ("legal_rep_id", f"entity:{e.pk}:legal_rep_id_number", "44************1234"),
        ("owner_id", f"person:{vault.owner.pk}", "11************4514"),
        ("legal_rep_id", f"person:{vault.legal_rep.pk}", "******678"),
        ("email", f"contact:{vault.email.pk}", "s****@xinghe.example"),
        ("phone", f"contact:{vault.phone.pk}", "*********8000"),
        ("collection_account", f"account:{vault.account.pk}", "Payoneer 62*************6789"),
        ("card", f"card:{vault.card.pk}", "Visa ···· 1111"),
        ("address", f"address:{vault.address.pk}", "深圳市宝安…"),
    }


def test_digests_are_blind_indexes_of_the_normalised_values(vault):
    d = digests(vault.entity)
    e = vault.entity
    assert d[f"entity:{e.pk}:registration_number"] == blind_index(REGISTRATION_NUMBER)
    assert d[f"person:{vault.owner.pk}"] == blind_index(OWNER_ID)
    assert d[f"contact:{vault.email.pk}"] == blind_index("store@xinghe.example", kind="email")
    # +86 before a Chinese mobile number is the same phone
    assert d[f"contact:{vault.phone.pk}"] == blind_index("13800138000", kind="phone")
    assert d[f"account:{vault.account.pk}"] == blind_index(ACCOUNT_NUMBER)
    assert d[f"card:{vault.card.pk}"] == vault.card.fingerprint == card_fingerprint(CARD_NUMBER)
    # one person's ID gives the same digest as legal representative and as beneficial owner
    assert digest_for("legal_rep_id", OWNER_ID) == digest_for("owner_id", OWNER_ID)
    # spellings of one value meet: full-width digits, spaces, case
    assert digest_for("registration_number", "９１４４０３００ma5g8abcd1") == blind_index(
        REGISTRATION_NUMBER
    )
    assert digest_for("phone", "138 0013 8000") != digest_for("phone", "138 0013 8001")


def test_identifiers_follow_updates(as_alice, vault):
    before = digests(vault.entity)
    services.update_contact(actor=as_alice, contact=vault.email, value="ops@xinghe.example")
    services.update_person(actor=as_alice, person=vault.owner, role="legal_rep")
    services.update_entity(
        actor=as_alice, entity=vault.entity, registered_address="深圳市南山区 1 号"
    )
    after = digests(vault.entity)
    email = f"contact:{vault.email.pk}"
    assert after[email] == blind_index("ops@xinghe.example", kind="email") != before[email]
    owner = Identifier.objects.get(source=f"person:{vault.owner.pk}")
    assert owner.kind == "legal_rep_id" and owner.digest == blind_index(OWNER_ID)
    assert after[f"entity:{vault.entity.pk}:registered_address"] == blind_index(
        "深圳市南山区 1 号", kind="address"
    )


def test_identifiers_follow_a_new_card_number_and_deletes(as_alice, vault):
    services.update_card(actor=as_alice, card=vault.card, card_number="5555555555554444")
    card = Identifier.objects.get(source=f"card:{vault.card.pk}")
    assert card.digest == card_fingerprint("5555555555554444") and card.masked.endswith("4444")
    for delete, obj in (
        (services.delete_card, {"card": vault.card}),
        (services.delete_person, {"person": vault.owner}),
        (services.delete_contact, {"contact": vault.phone}),
        (services.delete_account, {"account": vault.account}),
        (services.delete_address, {"address": vault.address}),
    ):
        delete(actor=as_alice, **obj)
    sources = set(Identifier.objects.filter(entity=vault.entity).values_list("source", flat=True))
    assert sources == {
        f"entity:{vault.entity.pk}:registration_number",
        f"entity:{vault.entity.pk}:legal_rep_id_number",
        f"person:{vault.legal_rep.pk}",
        f"contact:{vault.email.pk}",
    }


def test_clearing_a_value_removes_its_identifier(as_alice, vault):
    services.update_entity(actor=as_alice, entity=vault.entity, legal_rep_id_number="")
    services.update_person(actor=as_alice, person=vault.owner, id_number="")
    sources = set(Identifier.objects.filter(entity=vault.entity).values_list("source", flat=True))
    assert f"entity:{vault.entity.pk}:legal_rep_id_number" not in sources
    assert f"person:{vault.owner.pk}" not in sources


def test_a_refused_write_leaves_the_identifiers_as_they_were(as_alice, vault):
    before = digests(vault.entity)
    with pytest.raises(InvalidInput):
        services.update_contact(actor=as_alice, contact=vault.email, value="not an email")
    with pytest.raises(InvalidInput):
        services.update_card(actor=as_alice, card=vault.card, card_number="4111111111111112")
    assert digests(vault.entity) == before


def test_identifiers_for_answers_in_one_query(
    vault, entity_yunfan, as_alice, django_assert_num_queries
):
    services.create_contact(actor=as_alice, entity=entity_yunfan, kind="phone", value="13800138000")
    with django_assert_num_queries(1):
        rows = identifiers_for([vault.entity.pk, entity_yunfan.pk])
    assert {r.entity_id for r in rows} == {vault.entity.pk, entity_yunfan.pk}
    assert len(rows) == Identifier.objects.count()
    assert identifiers_for([]) == []
    # the same phone on two entities: the same digest, whatever the spelling
    phones = [r.digest for r in rows if r.kind == "phone"]
    assert len(phones) == 2 and phones[0] == phones[1]


def test_rebuild_rewrites_the_identifiers_of_an_entity(vault):
    before = identifiers(vault.entity)
    Identifier.objects.filter(entity=vault.entity).delete()
    assert rebuild(vault.entity) == len(before)
    assert identifiers(vault.entity) == before


# --- rules and refusals ---------------------------------------------------------------------------


def test_card_numbers_are_checked_and_never_kept(as_alice, entity):
    card = services.create_card(
        actor=as_alice,
        entity=entity,
        card_number="5555-5555-5555-4444",
        holder="Z W",
        expiry_month="07",
        expiry_year="29",
    )
    assert (card.brand, card.last4, card.expiry_year) == ("mastercard", "4444", 2029)
    assert not hasattr(card, "card_number")
    for number, message in (
        ("4111111111111112", "check digit"),
        ("4111", "12 to 19"),
        ("4111-abcd-1111-1111", "12 to 19"),
        ("", "required"),
    ):
        with translation.override("en"), pytest.raises(InvalidInput) as caught:
            services.create_card(
                actor=as_alice,
                entity=entity,
                card_number=number,
                holder="Z",
                expiry_month=1,
                expiry_year=2030,
            )
        assert fields_of(caught.value) == ["card_number"]
        assert message in str(caught.value.errors[0].message)
    assert EntityCard.objects.count() == 1
    assert CARD_NUMBER not in audit_text() and "5555555555554444" not in audit_text()


def test_bad_input_names_every_field_and_changes_nothing(as_alice, entity):
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.create_person(
            actor=as_alice,
            entity=entity,
            role="boss",
            name=" ",
            id_number="12345",
            ownership_percent="120",
            id_expiry="31/12/2030",
        )
    assert set(fields_of(caught.value)) == {
        "role",
        "name",
        "id_number",
        "ownership_percent",
        "id_expiry",
    }
    with pytest.raises(InvalidInput) as caught:
        services.create_card(
            actor=as_alice,
            entity=entity,
            card_number=CARD_NUMBER,
            holder="",
            expiry_month=13,
            expiry_year=1999,
        )
    assert set(fields_of(caught.value)) == {"holder", "expiry_month", "expiry_year"}
    with pytest.raises(InvalidInput) as caught:
        services.create_contact(actor=as_alice, entity=entity, kind="phone", value="call me")
    assert fields_of(caught.value) == ["value"]
    with pytest.raises(InvalidInput) as caught:
        services.create_account(
            actor=as_alice,
            entity=entity,
            provider="alipay",
            account_holder="",
            account_number="12",
            currency="dollars",
        )
    assert set(fields_of(caught.value)) == {
        "provider",
        "account_holder",
        "account_number",
        "currency",
    }
    assert AuditEvent.objects.count() == events
    assert not EntityPerson.objects.exists() and not EntityContact.objects.exists()
    assert not Identifier.objects.filter(source__startswith="person").exists()


def test_a_chinese_id_card_must_look_like_one_a_passport_need_not(as_alice, entity):
    with pytest.raises(InvalidInput) as caught:
        services.create_person(
            actor=as_alice, entity=entity, role="legal_rep", name="张伟", id_number="E1234567"
        )
    assert fields_of(caught.value) == ["id_number"]
    person = services.create_person(
        actor=as_alice,
        entity=entity,
        role="legal_rep",
        name="张伟",
        id_type="passport",
        id_number="e 1234 567",
        nationality="cn",
    )
    assert (person.id_number, person.nationality) == ("E1234567", "CN")
    person = services.create_person(
        actor=as_alice,
        entity=entity,
        role="beneficial_owner",
        name="王芳",
        id_number="11010119900307451x",
        ownership_percent=Decimal("33.333"),
    )
    assert person.id_number == "11010119900307451X"
    assert person.ownership_percent == Decimal("33.33")


def test_operators_reviewers_auditors_and_clients_cannot_write(
    org, entity, vault, carol, dave, frank, grace
):
    events = AuditEvent.objects.count()
    for user in (carol, dave, frank, grace):
        actor = actor_of(org, user)
        with pytest.raises(PermissionDenied):
            services.create_contact(actor=actor, entity=entity, kind="email", value="x@y.example")
        with pytest.raises(PermissionDenied):
            services.update_person(actor=actor, person=vault.owner, name="Mallory")
        with pytest.raises(PermissionDenied):
            services.delete_card(actor=actor, card=vault.card)
    assert AuditEvent.objects.count() == events
    assert EntityCard.objects.filter(pk=vault.card.pk).exists()


def test_another_organization_cannot_write_on_our_records(vault, other_org, mallory):
    from linkstar.core.exceptions import NotFound

    actor = actor_of(other_org, mallory)
    with pytest.raises(NotFound):
        services.update_person(actor=actor, person=vault.owner, name="Mallory")
    with pytest.raises(NotFound):
        services.create_contact(
            actor=actor, entity=vault.entity, kind="email", value="m@evil.example"
        )


def test_stale_versions_are_refused(as_alice, as_bob, vault):
    services.update_account(actor=as_alice, account=vault.account, label="main", version=1)
    with pytest.raises(StaleVersion):
        services.update_account(actor=as_bob, account=vault.account, label="other", version=1)
    vault.account.refresh_from_db()
    assert (vault.account.label, vault.account.version) == ("main", 2)


def test_an_update_that_changes_nothing_writes_nothing(as_alice, vault):
    events = AuditEvent.objects.count()
    person = services.update_person(
        actor=as_alice, person=vault.owner, id_number=OWNER_ID, name="王芳"
    )
    assert person.version == 1 and AuditEvent.objects.count() == events


# --- audit ------------------------------------------------------------------------------------------


def test_audit_events_hold_masked_values_only(as_alice, vault):
    services.update_person(actor=as_alice, person=vault.owner, id_number="110101199003074522")
    services.update_account(
        actor=as_alice, account=vault.account, account_number="6222021001999999"
    )
    services.update_card(actor=as_alice, card=vault.card, card_number="5555555555554444")
    services.delete_account(actor=as_alice, account=vault.account)
    event = AuditEvent.objects.filter(action="person.updated").get()
    assert event.changes == {
        "id_number": {"before": "11************4514", "after": "11************4522"}
    }
    card = AuditEvent.objects.filter(action="card.updated").get()
    assert card.changes == {
        "last4": {"before": "1111", "after": "4444"},
        "brand": {"before": "visa", "after": "mastercard"},
        "card_number": {"changed": True},
    }
    created = AuditEvent.objects.get(action="person.created", object_id=str(vault.owner.pk))
    assert created.changes["id_number"] == {"before": None, "after": "11************4514"}
    assert created.object_type == "entityperson" and created.actor_id == as_alice.user_id
    assert AuditEvent.objects.filter(action="account.deleted").exists()
    assert_nowhere(
        audit_text(),
        OWNER_ID,
        "110101199003074522",
        ACCOUNT_NUMBER,
        "6222021001999999",
        CARD_NUMBER,
        "5555555555554444",
        PASSPORT,
        LEGAL_REP_ID,
        REGISTRATION_NUMBER,
    )
    assert vault.card.fingerprint not in audit_text()


def test_entity_fields_of_the_company(as_bob, entity):
    entity = services.update_entity(
        actor=as_bob,
        entity=entity,
        registered_address="深圳市南山区科技园 1 号",
        licence_expiry="2030-06-30",
        registration_number="9144 0300 MA5G 8ABC D1",
    )
    assert entity.licence_expiry == dt.date(2030, 6, 30)
    assert entity.registration_number == REGISTRATION_NUMBER  # spaces folded: no change
    assert entity.version == 2
    with pytest.raises(InvalidInput) as caught:
        services.update_entity(actor=as_bob, entity=entity, licence_expiry="soon", country="China")
    assert set(fields_of(caught.value)) == {"licence_expiry", "country"}
