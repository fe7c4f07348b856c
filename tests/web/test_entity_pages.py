"""Seller entity pages: everyone reads (ID numbers masked), administrators and managers create and
edit through the entity services, with stale edits refused and the input kept."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.entities.models import SellerEntity
from linkstar.entities.services import create_entity, update_entity
from linkstar.projects.services import ProjectRow, create_projects_batch

pytestmark = pytest.mark.django_db

ENTITIES = "/o/acme/settings/entities/"
ID_NUMBER = "440301198805121234"  # the `entity` fixture's legal representative


@pytest.fixture
def many_projects(as_alice, amazon_na, entity, bob):
    rows = [
        ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, manager_id=bob.pk)
        for i in range(500)
    ]
    return create_projects_batch(
        actor=as_alice, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )


@pytest.fixture
def more_entities(as_alice):
    for i in range(30):
        create_entity(
            actor=as_alice,
            name=f"主体 {i:02}",
            legal_rep_id_number=f"1101011990010{i:05}",
            country="CN",
        )


def test_the_list_costs_a_bounded_number_of_queries_and_masks_id_numbers(
    client, alice, entity, more_entities, many_projects, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(7):
        response = client.get(ENTITIES)
    assert response.status_code == 200
    html = response.content.decode()
    assert entity.name in html and "Shenzhen Xinghe" in html
    assert ID_NUMBER not in html and "91440300MA5G8ABCD1" not in html
    assert "44************1234" in html and "91************BCD1" in html
    assert 'id="new-entity"' in html and 'data-action="edit"' in html
    with django_assert_max_num_queries(6):
        assert client.get(f"{ENTITIES}{entity.pk}/edit/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(f"{ENTITIES}new/").status_code == 200


def test_an_operator_reads_the_list_without_write_buttons(client, carol, entity):
    client.force_login(carol)
    html = client.get(ENTITIES).content.decode()
    assert entity.name in html
    assert 'id="new-entity"' not in html and 'data-action="edit"' not in html
    assert 'id="entities-readonly"' in html


def test_a_client_sees_only_its_own_entity(client, grace, entity, entity_yunfan):
    client.force_login(grace)
    html = client.get(ENTITIES).content.decode()
    assert entity_yunfan.name in html and entity.name not in html
    assert client.get(f"{ENTITIES}{entity.pk}/edit/").status_code == 404


def test_a_manager_creates_an_entity(client, org, bob):
    client.force_login(bob)
    response = client.post(
        f"{ENTITIES}new/",
        {
            "name": "广州远航科技有限公司",
            "name_en": "Guangzhou Yuanhang",
            "registration_number": "91440101MA59XYZ123",
            "country": "cn",
            "legal_rep_name": "李娜",
            "legal_rep_id_number": "440106199203154321",
            "notes": "",
        },
    )
    entity = SellerEntity.objects.get(organization=org, name="广州远航科技有限公司")
    assert response.status_code == 302 and response.url == f"{ENTITIES}{entity.pk}/"
    assert entity.country == "CN" and entity.legal_rep_id_number == "440106199203154321"
    event = AuditEvent.objects.get(organization=org, action="entity.created", object_id=entity.pk)
    assert "440106199203154321" not in str(event.changes)
    listing = client.get(ENTITIES).content.decode()
    assert "广州远航科技有限公司" in listing and "440106199203154321" not in listing


def test_a_duplicate_name_is_refused_on_the_field_and_the_input_kept(client, bob, entity):
    client.force_login(bob)
    response = client.post(f"{ENTITIES}new/", {"name": entity.name, "name_en": "Copy"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Copy"' in html and "is-invalid" in html
    assert SellerEntity.objects.filter(name=entity.name).count() == 1


def test_a_name_is_required(client, bob):
    client.force_login(bob)
    response = client.post(f"{ENTITIES}new/", {"name": "  "})
    assert response.status_code == 422
    assert not SellerEntity.objects.exists()


def test_an_operator_cannot_open_the_forms_and_sees_why(client, carol, entity):
    client.force_login(carol)
    for path in (f"{ENTITIES}new/", f"{ENTITIES}{entity.pk}/edit/"):
        response = client.get(path)
        assert response.status_code == 403
        assert 'id="forbidden"' in response.content.decode()
    response = client.post(f"{ENTITIES}new/", {"name": "Sneaky Ltd"})
    assert response.status_code == 403
    assert not SellerEntity.objects.filter(name="Sneaky Ltd").exists()


def test_the_edit_page_never_shows_the_stored_id_number(client, alice, entity):
    client.force_login(alice)
    response = client.get(f"{ENTITIES}{entity.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert ID_NUMBER not in html and "44************1234" in html
    assert f'value="{entity.version}"' in html and 'value="张伟"' in html


def _edit_data(entity, **overrides) -> dict:
    data = {
        "name": entity.name,
        "name_en": entity.name_en,
        "registration_number": entity.registration_number,
        "country": entity.country,
        "legal_rep_name": entity.legal_rep_name,
        "legal_rep_id_number": "",
        "notes": entity.notes,
        "version": entity.version,
    }
    data.update(overrides)
    return data


def test_editing_with_an_empty_id_number_keeps_the_stored_one(client, bob, entity):
    client.force_login(bob)
    response = client.post(
        f"{ENTITIES}{entity.pk}/edit/", _edit_data(entity, legal_rep_name="王芳")
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.legal_rep_name == "王芳" and entity.legal_rep_id_number == ID_NUMBER
    assert entity.version == 2


def test_editing_the_id_number_replaces_it(client, bob, entity):
    client.force_login(bob)
    client.post(
        f"{ENTITIES}{entity.pk}/edit/",
        _edit_data(entity, legal_rep_id_number="330106199002159876"),
    )
    entity.refresh_from_db()
    assert entity.legal_rep_id_number == "330106199002159876"


def test_a_stale_edit_is_refused_and_the_input_kept(client, as_alice, bob, entity):
    client.force_login(bob)
    data = _edit_data(entity, notes="my careful notes")
    update_entity(actor=as_alice, entity=entity, name_en="Someone else's change")
    response = client.post(f"{ENTITIES}{entity.pk}/edit/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "my careful notes" in html and 'id="entity-form-errors"' in html
    entity.refresh_from_db()
    assert entity.notes == "" and entity.name_en == "Someone else's change"


def test_another_organizations_member_gets_404_on_every_entity_url(
    client, entity, other_org, mallory
):
    client.force_login(mallory)
    for path in (ENTITIES, f"{ENTITIES}new/", f"{ENTITIES}{entity.pk}/edit/"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"name": "x"}).status_code == 404, path
    assert not SellerEntity.objects.filter(name="x").exists()


def test_mallory_cannot_reach_our_entity_from_her_own_organization(client, entity, mallory):
    client.force_login(mallory)
    assert client.get(f"/o/evil/settings/entities/{entity.pk}/edit/").status_code == 404
