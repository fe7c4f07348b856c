"""The batch wizard's preview names the association risks each row would have."""

from __future__ import annotations

from django.test import Client

from linkstar.compliance.models import AssociationRisk
from linkstar.compliance.services import preview_batch_risks
from linkstar.entities.models import IdentifierKind
from linkstar.playbooks.models import Template
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow
from tests.compliance.conftest import identify, open_store, seller


def test_preview_names_existing_projects_and_other_rows(as_bob, seller_a, seller_b, org, amazon_na):
    third = seller(org, "第三主体")
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "BOSS@example.com")
    identify(third, "phone", "13900139000")
    existing = open_store(as_bob, seller_a, "amazon-us", "A US")
    projects_before = StoreProject.objects.count()
    rows = [
        ProjectRow(store_name="B US", entity_id=seller_b.pk),
        ProjectRow(store_name="C DE", entity_id=seller_a.pk, site="amazon-de"),  # other region
        ProjectRow(store_name="C US", entity_id=third.pk),
        ProjectRow(store_name="B CA", entity_id=seller_b.pk, site="amazon-ca"),
    ]
    found = preview_batch_risks(actor=as_bob, template_version_or_site=amazon_na, rows=rows)
    assert set(found) == {0, 3}
    with_existing = [e for e in found[0] if e["other_project"]]
    assert with_existing == [
        {
            "kind": "email",
            "kind_label": str(IdentifierKind.EMAIL.label),
            "masked": with_existing[0]["masked"],
            "other_project": {
                "id": existing.pk,
                "code": existing.code,
                "store_name": "A US",
                "site": "amazon-us",
            },
            "other_row": None,
        }
    ]
    assert [e["other_row"] for e in found[0] if e["other_row"] is not None] == [3]
    assert [e["other_row"] for e in found[3] if e["other_row"] is not None] == [0]
    assert "boss@example.com" not in str(found)
    assert StoreProject.objects.count() == projects_before  # a preview writes nothing
    assert AssociationRisk.objects.count() == 0


def test_rows_without_entity_or_site_are_skipped(as_bob, seller_a, amazon_na):
    identify(seller_a, "email", "boss@example.com")
    rows = [
        ProjectRow(store_name="x", entity_id=None),
        ProjectRow(store_name="y", entity_id=seller_a.pk, site="no-such-site"),
    ]
    assert preview_batch_risks(actor=as_bob, template_version_or_site=amazon_na, rows=rows) == {}


def test_preview_reads_a_fixed_number_of_queries(
    as_bob, org, amazon_na, django_assert_max_num_queries
):
    entities = [seller(org, f"主体 {i}") for i in range(60)]
    for i, entity in enumerate(entities):
        identify(entity, "phone", f"1380013{i % 6:04d}")
    rows = [ProjectRow(store_name=f"S{i}", entity_id=e.pk) for i, e in enumerate(entities)]
    template = Template.objects.get(pk=amazon_na.pk)
    # the template's site, the sites, the visible entities, their identifiers, the projects
    # sharing them
    with django_assert_max_num_queries(5):
        found = preview_batch_risks(actor=as_bob, template_version_or_site=template, rows=rows)
    assert len(found) == 60


def test_the_wizard_shows_the_risk_under_the_row_as_a_warning(
    bob, seller_a, seller_b, as_bob, amazon_na
):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    existing = open_store(as_bob, seller_a, "amazon-us", "A US")
    client = Client()
    client.force_login(bob)
    response = client.post(
        "/o/acme/projects/batch/",
        {
            "template": amazon_na.pk,
            "start_date": "2026-12-01",
            "action": "preview",
            "row_store_name": ["B US", "Plain US"],
            "row_site": ["amazon-us", "amazon-us"],
            "row_entity": [seller_b.name, seller_a.name],
            "row_manager": ["", ""],
        },
    )
    assert response.status_code == 200  # a warning is not an error
    html = response.content.decode()
    assert html.count("data-row-risks=") == 2
    assert existing.code in html and "boss@example.com" not in html
    assert 'id="batch-create"' in html and 'id="batch-create" data-recheck' in html
    assert "disabled" not in html.split('id="batch-create"')[1].split(">")[0]
