"""Reveal: the one audited way to see a sensitive value in plain. Admins, and the manager of a
project of the entity (of the credential's project), with a reason; never an auditor, operator,
reviewer or client — and a refused reveal leaves no trace but the refusal."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput, NotFound, PermissionDenied
from linkstar.entities.services import reveal_secret
from tests.support.seed import actor_of
from tests.support.vault import (
    ACCOUNT_NUMBER,
    LEGAL_REP_ID,
    OWNER_ID,
    REGISTRATION_NUMBER,
    SECRET,
    audit_text,
)

REASON = "filling in the Amazon registration form"


def reveals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="secret.revealed").order_by("pk"))


# --- the service ----------------------------------------------------------------------------------


def test_an_admin_reveals_and_the_event_names_who_which_field_and_why(as_alice, vault):
    assert reveal_secret(actor=as_alice, obj=vault.owner, field="id_number", reason=REASON) == (
        OWNER_ID
    )
    [event] = reveals()
    assert event.actor_id == as_alice.user_id
    assert (event.object_type, event.object_id) == ("entityperson", str(vault.owner.pk))
    assert event.changes == {"field": "id_number", "reason": REASON}
    assert OWNER_ID not in audit_text()


def test_every_sensitive_field_can_be_revealed(as_alice, vault):
    cases = [
        (vault.entity, "registration_number", REGISTRATION_NUMBER),
        (vault.entity, "legal_rep_id_number", LEGAL_REP_ID),
        (vault.account, "account_number", ACCOUNT_NUMBER),
        (vault.credential, "secret", SECRET),
    ]
    for obj, field, plain in cases:
        assert reveal_secret(actor=as_alice, obj=obj, field=field, reason=REASON) == plain
    assert len(reveals()) == 4
    assert reveals()[-1].project_id == vault.credential.project_id
    for _obj, _field, plain in cases:
        assert plain not in audit_text()


def test_the_manager_of_a_project_of_the_entity_may_reveal(as_bob, vault):
    """bob manages the `project`, opened for the `entity`."""
    assert reveal_secret(actor=as_bob, obj=vault.entity, field="legal_rep_id_number", reason="x")
    assert reveal_secret(actor=as_bob, obj=vault.credential, field="secret", reason="x") == SECRET


def test_a_manager_without_a_project_of_the_entity_may_not(org, vault, entity_yunfan, as_alice):
    from linkstar.accounts.services import add_member
    from linkstar.entities.services import create_person

    other_manager = add_member(
        actor=as_alice, email="henry@example.com", role="manager", password="long enough pw"
    ).user
    actor = actor_of(org, other_manager)
    with pytest.raises(PermissionDenied):
        reveal_secret(actor=actor, obj=vault.owner, field="id_number", reason=REASON)
    with pytest.raises(PermissionDenied):
        reveal_secret(actor=actor, obj=vault.credential, field="secret", reason=REASON)
    person = create_person(
        actor=as_alice, entity=entity_yunfan, role="legal_rep", name="李娜", id_number=OWNER_ID
    )
    with pytest.raises(PermissionDenied):
        reveal_secret(actor=actor, obj=person, field="id_number", reason=REASON)
    assert reveals() == []


def test_operators_reviewers_auditors_and_clients_are_refused_without_a_trace(
    org, vault, carol, dave, frank, grace
):
    events = AuditEvent.objects.count()
    for user in (carol, dave, frank, grace):
        actor = actor_of(org, user)
        for obj, field in (
            (vault.owner, "id_number"),
            (vault.entity, "registration_number"),
            (vault.credential, "secret"),
        ):
            with pytest.raises(PermissionDenied):
                reveal_secret(actor=actor, obj=obj, field=field, reason=REASON)
    assert AuditEvent.objects.count() == events


def test_a_reason_is_required_and_only_sensitive_fields_are_revealed(as_alice, vault):
    for reason in ("", "   ", None):
        with pytest.raises(InvalidInput) as caught:
            reveal_secret(actor=as_alice, obj=vault.owner, field="id_number", reason=reason)
        assert [e.field for e in caught.value.errors] == ["reason"]
    for obj, field in ((vault.owner, "name"), (vault.card, "fingerprint"), (vault.entity, "notes")):
        with pytest.raises(InvalidInput) as caught:
            reveal_secret(actor=as_alice, obj=obj, field=field, reason=REASON)
        assert [e.field for e in caught.value.errors] == ["field"]
    assert reveals() == []


def test_another_organization_gets_not_found(vault, other_org, mallory):
    with pytest.raises(NotFound):
        reveal_secret(
            actor=actor_of(other_org, mallory), obj=vault.owner, field="id_number", reason=REASON
        )


# --- the API --------------------------------------------------------------------------------------


def body(obj_type: str, obj_id: int, field: str, reason: str = REASON) -> dict:
    return {"object_type": obj_type, "object_id": obj_id, "field": field, "reason": reason}


def test_api_reveal_for_an_admin_is_audited_and_not_cached(api, alice, vault):
    r = api(alice).post("/orgs/acme/reveal", body("person", vault.owner.pk, "id_number"))
    assert r.status_code == 200, r.content
    assert r.json() == {"value": OWNER_ID}
    assert "no-store" in r["Cache-Control"]
    [event] = reveals()
    assert event.actor_id == alice.pk and event.changes["field"] == "id_number"
    r = api(alice).post("/orgs/acme/reveal", body("credential", vault.credential.pk, "secret"))
    assert r.json() == {"value": SECRET}


def test_api_reveal_refused_to_an_operator_and_an_auditor_with_403_and_no_event(
    api, carol, frank, dave, vault
):
    events = AuditEvent.objects.count()
    for user in (carol, frank, dave):
        for payload in (
            body("person", vault.owner.pk, "id_number"),
            body("entity", vault.entity.pk, "legal_rep_id_number"),
            body("account", vault.account.pk, "account_number"),
            body("credential", vault.credential.pk, "secret"),
        ):
            r = api(user).post("/orgs/acme/reveal", payload)
            assert r.status_code == 403, (user, payload, r.content)
            assert r.json()["code"] == "permission_denied"
            text = r.content.decode()
            assert OWNER_ID not in text and SECRET not in text and ACCOUNT_NUMBER not in text
    assert AuditEvent.objects.count() == events


def test_api_reveal_bad_input(api, alice, vault):
    client = api(alice)
    r = client.post("/orgs/acme/reveal", body("person", vault.owner.pk, "id_number", reason=" "))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post("/orgs/acme/reveal", body("person", vault.owner.pk, "name"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "field"
    r = client.post("/orgs/acme/reveal", body("card", vault.card.pk, "fingerprint"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "object_type"
    r = client.post("/orgs/acme/reveal", {"object_type": "person", "object_id": vault.owner.pk})
    assert r.status_code == 422
    r = client.post("/orgs/acme/reveal", body("person", 999999, "id_number"))
    assert r.status_code == 404
    assert reveals() == []


def test_api_reveal_of_another_organizations_object_is_404(api, mallory, grace, vault):
    for payload in (
        body("person", vault.owner.pk, "id_number"),
        body("entity", vault.entity.pk, "registration_number"),
        body("credential", vault.credential.pk, "secret"),
        body("account", vault.account.pk, "account_number"),
    ):
        assert api(mallory).post("/orgs/evil/reveal", payload).status_code == 404
        assert api(mallory).post("/orgs/acme/reveal", payload).status_code == 404
        # a client of another entity does not even see it
        assert api(grace).post("/orgs/acme/reveal", payload).status_code == 404
    assert reveals() == []


# --- the page action ------------------------------------------------------------------------------


def test_page_reveal_answers_the_value_as_text_for_an_admin(client, alice, vault):
    client.force_login(alice)
    r = client.post(
        "/o/acme/reveal/",
        {
            "object_type": "account",
            "object_id": vault.account.pk,
            "field": "account_number",
            "reason": REASON,
        },
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 200
    assert r.content.decode() == ACCOUNT_NUMBER
    assert "no-store" in r["Cache-Control"]
    assert reveals()[0].changes == {"field": "account_number", "reason": REASON}


def test_page_reveal_refused_to_an_operator_says_why_and_records_nothing(client, carol, vault):
    client.force_login(carol)
    r = client.post(
        "/o/acme/reveal/",
        {
            "object_type": "person",
            "object_id": vault.owner.pk,
            "field": "id_number",
            "reason": REASON,
        },
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 403
    assert OWNER_ID not in r.content.decode() and r.content
    assert reveals() == []
    assert client.get("/o/acme/reveal/").status_code == 405


def test_page_reveal_without_a_reason_is_refused(client, alice, vault):
    client.force_login(alice)
    r = client.post(
        "/o/acme/reveal/",
        {"object_type": "person", "object_id": vault.owner.pk, "field": "id_number"},
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 422 and OWNER_ID not in r.content.decode()
    assert reveals() == []


def test_page_reveal_from_another_organization_is_404(client, mallory, vault):
    client.force_login(mallory)
    data = {
        "object_type": "person",
        "object_id": vault.owner.pk,
        "field": "id_number",
        "reason": REASON,
    }
    assert client.post("/o/acme/reveal/", data).status_code == 404
    assert client.post("/o/evil/reveal/", data).status_code == 404
