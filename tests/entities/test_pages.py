"""The entity page and the store-credentials page: masked everywhere, reveal buttons only for
those who may reveal, forms through the services, a fixed number of queries, 404 elsewhere."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.entities import services
from linkstar.entities.models import EntityCard, EntityContact, EntityPerson, StoreCredential
from tests.support.vault import (
    API_KEY,
    CARD_NUMBER,
    OWNER_ID,
    PLAIN_VALUES,
    SECRET,
    assert_nowhere,
    audit_text,
    database_dump,
)

pytestmark = pytest.mark.django_db

ENTITIES = "/o/acme/settings/entities/"


def page_of(vault) -> str:
    return f"{ENTITIES}{vault.entity.pk}/"


def creds_page(vault) -> str:
    return f"/o/acme/projects/{vault.credential.project_id}/credentials/"


# --- the entity page ------------------------------------------------------------------------------


def test_the_entity_page_shows_every_section_masked(client, alice, vault):
    client.force_login(alice)
    response = client.get(page_of(vault))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("company", "person", "contact", "account", "card", "address", "documents"):
        assert f'id="{section}-section"' in html
    assert "91************BCD1" in html and "44************1234" in html
    assert "11************4514" in html and "62*************6789" in html
    assert "**** **** **** 1111" in html and "store@xinghe.example" in html
    assert 'id="reveal-modal"' in html and html.count("data-reveal ") == 5
    assert 'id="add-card-form"' in html and 'data-action="delete"' in html
    assert "entities/vault.js" in html
    assert_nowhere(html, *PLAIN_VALUES)


def test_an_operator_reads_the_page_without_forms_or_reveal(client, carol, vault):
    client.force_login(carol)
    html = client.get(page_of(vault)).content.decode()
    assert "11************4514" in html and 'id="reveal-note"' in html
    assert "data-reveal" not in html and 'id="reveal-modal"' not in html
    assert "add-person-form" not in html and 'data-action="edit"' not in html
    response = client.post(
        f"{page_of(vault)}people/new/",
        {"new-person-role": "legal_rep", "new-person-name": "Carol"},
    )
    assert response.status_code == 403 and 'id="forbidden"' in response.content.decode()
    assert not EntityPerson.objects.filter(name="Carol").exists()


def test_the_entity_page_costs_a_fixed_number_of_queries(
    client, alice, as_alice, vault, django_assert_max_num_queries
):
    for i in range(15):
        services.create_person(
            actor=as_alice,
            entity=vault.entity,
            role="beneficial_owner",
            name=f"股东 {i}",
            id_number=f"1101011990030{i:05}",
        )
        services.create_contact(
            actor=as_alice, entity=vault.entity, kind="phone", value=f"1380013{i:04}"
        )
        services.create_card(
            actor=as_alice,
            entity=vault.entity,
            card_number=CARD_NUMBER,
            holder=f"H {i}",
            expiry_month=1,
            expiry_year=2030,
        )
    client.force_login(alice)
    with django_assert_max_num_queries(11):
        response = client.get(page_of(vault))
    assert response.status_code == 200
    assert response.content.decode().count('data-record-id="') == 17 + 17 + 16 + 1 + 1


def test_a_manager_adds_a_card_and_the_number_goes_nowhere(client, bob, vault):
    client.force_login(bob)
    number = "6250 9460 0000 0016"  # a UnionPay test number
    response = client.post(
        f"{page_of(vault)}cards/new/",
        {
            "new-card-card_number": number,
            "new-card-brand": "",
            "new-card-holder": "WANG FANG",
            "new-card-expiry_month": "12",
            "new-card-expiry_year": "2030",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url.endswith("#card-section")
    card = EntityCard.objects.get(holder="WANG FANG")
    assert (card.brand, card.last4) == ("unionpay", "0016")
    dump = database_dump()
    assert "6250946000000016" not in dump.replace(" ", "")
    assert "6250946000000016" not in audit_text()


def test_a_refused_card_form_never_shows_the_number_again(client, bob, vault):
    client.force_login(bob)
    response = client.post(
        f"{page_of(vault)}cards/new/",
        {
            "new-card-card_number": "4111111111111112",
            "new-card-holder": "X",
            "new-card-expiry_month": "1",
            "new-card-expiry_year": "2030",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "4111111111111112" not in html and "is-invalid" in html
    assert 'value="X"' in html  # the rest of the input is kept


def test_editing_a_person_keeps_the_id_number_when_left_empty(client, bob, vault):
    client.force_login(bob)
    url = f"{page_of(vault)}people/{vault.owner.pk}/edit/"
    html = client.get(url).content.decode()
    assert OWNER_ID not in html and 'placeholder="11************4514"' in html
    response = client.post(
        url,
        {
            "role": "beneficial_owner",
            "name": "王芳",
            "name_pinyin": "Wang Fang",
            "id_type": "id_card",
            "id_number": "",
            "nationality": "CN",
            "id_expiry": "2031-05-01",
            "ownership_percent": "75",
            "version": "1",
        },
    )
    assert response.status_code == 302
    person = EntityPerson.objects.get(pk=vault.owner.pk)
    assert person.id_number == OWNER_ID and str(person.ownership_percent) == "75.00"
    assert person.version == 2


def test_a_stale_record_edit_is_refused(client, bob, as_alice, vault):
    client.force_login(bob)
    services.update_contact(actor=as_alice, contact=vault.email, label="changed meanwhile")
    response = client.post(
        f"{page_of(vault)}contacts/{vault.email.pk}/edit/",
        {"kind": "email", "value": "store@xinghe.example", "label": "mine", "version": "1"},
    )
    assert response.status_code == 409
    assert EntityContact.objects.get(pk=vault.email.pk).label == "changed meanwhile"


def test_deleting_a_record(client, bob, vault):
    client.force_login(bob)
    url = f"{page_of(vault)}addresses/{vault.address.pk}/delete/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="address.deleted").exists()


def test_another_organization_gets_404_on_every_entity_url(client, mallory, vault):
    client.force_login(mallory)
    e = vault.entity.pk
    urls = [
        f"/o/{org}/settings/entities/{e}/{tail}"
        for org in ("acme", "evil")
        for tail in (
            "",
            "edit/",
            "people/new/",
            f"people/{vault.owner.pk}/edit/",
            f"cards/{vault.card.pk}/delete/",
            f"accounts/{vault.account.pk}/edit/",
        )
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x"}).status_code == 404, url
    assert client.get(f"/o/evil/settings/entities/{e}/nonsense/new/").status_code == 404


def test_a_client_sees_only_her_own_entity_page(client, grace, vault, entity_yunfan):
    client.force_login(grace)
    assert client.get(page_of(vault)).status_code == 404
    assert client.get(f"{ENTITIES}{entity_yunfan.pk}/").status_code == 200


# --- the store-credentials page -------------------------------------------------------------------


def test_the_credentials_page_lists_masked_secrets_with_actions_for_the_manager(client, bob, vault):
    client.force_login(bob)
    response = client.get(creds_page(vault))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Seller Central" in html and "store@xinghe.example" in html
    assert html.count("********") >= 2 and html.count("data-reveal ") == 2
    assert 'data-action="rotate"' in html and 'id="credential-form"' in html
    assert_nowhere(html, SECRET, API_KEY)


def test_an_operator_sees_the_list_but_no_actions(client, carol, vault):
    client.force_login(carol)
    html = client.get(creds_page(vault)).content.decode()
    assert "Seller Central" in html and 'id="credentials-readonly"' in html
    assert "data-reveal" not in html and 'data-action="rotate"' not in html
    response = client.post(
        creds_page(vault), {"new-kind": "api_key", "new-label": "x", "new-secret": "y"}
    )
    assert response.status_code == 403
    assert StoreCredential.objects.count() == 2


def test_a_client_is_told_she_does_not_see_credentials(
    client, grace, as_bob, amazon_na, entity_yunfan
):
    from linkstar.projects.services import create_project

    own = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Yunfan US", entity_id=entity_yunfan.pk
    )
    client.force_login(grace)
    response = client.get(f"/o/acme/projects/{own.pk}/credentials/")
    assert response.status_code == 403 and 'id="forbidden"' in response.content.decode()
    detail = client.get(f"/o/acme/projects/{own.pk}/").content.decode()
    assert 'id="project-credentials"' not in detail


def test_add_rotate_revoke_delete_through_the_page(client, bob, vault):
    client.force_login(bob)
    response = client.post(
        creds_page(vault),
        {
            "new-kind": "api_key",
            "new-label": "Shopify app",
            "new-login": "",
            "new-secret": "shpat_1",
        },
    )
    assert response.status_code == 302
    credential = StoreCredential.objects.get(label="Shopify app")
    assert credential.secret == "shpat_1"
    rotate = f"{creds_page(vault)}{credential.pk}/rotate/"
    assert client.get(rotate).status_code == 200
    response = client.post(rotate, {"secret": "shpat_2", "version": credential.version})
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.secret == "shpat_2" and credential.rotated_at
    response = client.post(f"{creds_page(vault)}{credential.pk}/revoke/")
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.revoked and credential.secret == ""
    html = client.get(creds_page(vault)).content.decode()
    assert 'data-status="revoked"' in html
    response = client.post(f"{creds_page(vault)}{credential.pk}/delete/")
    assert response.status_code == 302
    assert not StoreCredential.objects.filter(pk=credential.pk).exists()
    assert_nowhere(audit_text(), "shpat_1", "shpat_2")


def test_a_refused_credential_form_keeps_no_secret_in_the_page(client, bob, vault):
    client.force_login(bob)
    response = client.post(
        creds_page(vault), {"new-kind": "nope", "new-label": "x", "new-secret": "Sup3r-Secret"}
    )
    assert response.status_code == 422
    assert "Sup3r-Secret" not in response.content.decode()


def test_the_credentials_page_costs_a_fixed_number_of_queries(
    client, alice, as_bob, vault, django_assert_max_num_queries
):
    for i in range(20):
        services.create_credential(
            actor=as_bob,
            project=vault.credential.project,
            kind="erp_token",
            label=f"ERP {i}",
            secret=f"t{i}",
        )
    client.force_login(alice)
    with django_assert_max_num_queries(7):
        response = client.get(creds_page(vault))
    assert response.content.decode().count("data-credential-id=") == 22


def test_the_project_page_links_to_its_credentials(client, carol, vault):
    client.force_login(carol)
    html = client.get(f"/o/acme/projects/{vault.credential.project_id}/").content.decode()
    assert 'id="project-credentials"' in html
    assert f"/o/acme/projects/{vault.credential.project_id}/credentials/" in html


def test_another_organization_gets_404_on_the_credentials_pages(client, mallory, vault):
    client.force_login(mallory)
    pid, cid = vault.credential.project_id, vault.credential.pk
    for org in ("acme", "evil"):
        for tail in ("", f"{cid}/rotate/", f"{cid}/revoke/", f"{cid}/delete/"):
            url = f"/o/{org}/projects/{pid}/credentials/{tail}"
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"secret": "x"}).status_code == 404, url
    assert StoreCredential.objects.get(pk=cid).secret == SECRET
