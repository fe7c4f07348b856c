"""The batch wizard's preview names the association risks each row would have."""

from __future__ import annotations

from django.test import Client

from linkstar.compliance.models import AssociationRisk, RiskBasis
from linkstar.compliance.services import preview_batch_risks
from linkstar.entities.models import IdentifierKind
from linkstar.playbooks.models import Template
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow
from tests.support.compliance import identify, open_store, seller


def test_preview_names_existing_projects_and_other_rows(as_bob, seller_a, seller_b, org, amazon_na):
    third = seller(org, "第三主体")
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "BOSS@example.com")
    identify(seller_b, "phone", "13700137000")
    identify(seller_a, "phone", "+86 137 0013 7000")
    identify(third, "phone", "13900139000")
    existing = open_store(as_bob, seller_a, "amazon-us", "A US")
    projects_before = StoreProject.objects.count()
    rows = [
        ProjectRow(store_name="B US", entity_id=seller_b.pk),
        ProjectRow(store_name="A DE", entity_id=seller_a.pk, site="amazon-de"),  # other scope
        ProjectRow(store_name="C US", entity_id=third.pk),
        ProjectRow(store_name="B CA", entity_id=seller_b.pk, site="amazon-ca"),
    ]
    found = preview_batch_risks(actor=as_bob, template_version_or_site=amazon_na, rows=rows)
    # A DE: a's own account in Europe (no risk with A US), but Amazon links b's stores with it
    assert set(found) == {0, 1, 3}
    both = [
        {"kind": "email", "kind_label": str(IdentifierKind.EMAIL.label), "masked": "boss***.com"},
        {"kind": "phone", "kind_label": str(IdentifierKind.PHONE.label), "masked": "1370***7000"},
    ]

    def items(index):
        out = sorted(found[index], key=lambda e: (e["other_project"] is None, e["other_row"]))
        for item in out:  # one item per other project or row, every identifier in it
            assert item["basis"] == "shared_identifiers"
            assert str(item["basis_label"]) == str(RiskBasis.SHARED_IDENTIFIERS.label)
            assert sorted(i["kind"] for i in item["identifiers"]) == ["email", "phone"]
            assert {i["kind"]: i["kind_label"] for i in item["identifiers"]} == {
                b["kind"]: b["kind_label"] for b in both
            }
            assert (item["kind"], item["kind_label"], item["masked"]) == tuple(
                item["identifiers"][0][k] for k in ("kind", "kind_label", "masked")
            )
            assert set(item) == {
                "basis",
                "basis_label",
                "identifiers",
                "kind",
                "kind_label",
                "masked",
                "other_project",
                "other_row",
            }
        return [(e["other_project"] and e["other_project"]["id"], e["other_row"]) for e in out]

    assert items(0) == [(existing.pk, None), (None, 1)]  # B US: A US, and A DE (Amazon links)
    assert items(3) == [(existing.pk, None), (None, 1)]  # B CA: the same
    assert items(1) == [(None, 0), (None, 3)]  # A DE: both of b's rows
    (with_existing,) = [e for e in found[0] if e["other_project"]]
    assert with_existing["other_project"] == {
        "id": existing.pk,
        "code": existing.code,
        "store_name": "A US",
        "site": "amazon-us",
    }
    assert "boss@example.com" not in str(found).lower() and "13700137000" not in str(found)
    assert StoreProject.objects.count() == projects_before  # a preview writes nothing
    assert AssociationRisk.objects.count() == 0


def test_preview_shows_a_second_account_on_the_same_site(as_bob, seller_a, amazon_na):
    existing = open_store(as_bob, seller_a, "amazon-us", "A US")
    rows = [
        ProjectRow(store_name="A US 2", entity_id=seller_a.pk),
        ProjectRow(store_name="A CA", entity_id=seller_a.pk, site="amazon-ca"),
        ProjectRow(store_name="A US 3", entity_id=seller_a.pk),
    ]
    found = preview_batch_risks(actor=as_bob, template_version_or_site=amazon_na, rows=rows)
    assert set(found) == {0, 2}  # A CA is the same account as A US
    for index, other_row in ((0, 2), (2, 0)):
        assert sorted((e["other_project"] or {}).get("id", 0) for e in found[index]) == [
            0,
            existing.pk,
        ]
        for item in found[index]:
            assert item["basis"] == "second_account" and item["identifiers"] == []
            assert item["masked"] == ""
        assert [e["other_row"] for e in found[index] if e["other_row"] is not None] == [other_row]


def test_preview_follows_the_platform_rules(as_bob, seller_a, seller_b, catalog):
    """TikTok Shop UK and South-East Asia are separate accounts; Shopee is one main account."""
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    open_store(as_bob, seller_a, "tiktok-shop-uk", "A UK")
    open_store(as_bob, seller_a, "shopee-my", "A Shopee MY")
    tiktok = Template.objects.get(organization__isnull=True, key="tiktok-shop-cb")
    rows = [
        ProjectRow(store_name="B MY", entity_id=seller_b.pk, site="tiktok-shop-my"),
        ProjectRow(store_name="B Shopee SG", entity_id=seller_b.pk, site="shopee-sg"),
    ]
    found = preview_batch_risks(actor=as_bob, template_version_or_site=tiktok, rows=rows)
    assert set(found) == {1}
    (item,) = found[1]
    assert item["other_project"]["site"] == "shopee-my" and item["other_row"] is None


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
    open_store(as_bob, entities[0], "amazon-us", "S0 existing")
    # the template's site, the sites, the visible entities, their identifiers, the projects
    # sharing them (through their entity, their registration environment), the same entities'
    # projects on the same sites, the projects named
    with django_assert_max_num_queries(8):
        found = preview_batch_risks(actor=as_bob, template_version_or_site=template, rows=rows)
    assert len(found) == 60
    # one item per other row with the phone, and the existing store for the first phone's rows
    assert {i: len(items) for i, items in found.items()} == {
        i: 10 if i % 6 == 0 else 9 for i in range(60)
    }
    assert sum(e["other_project"] is not None for items in found.values() for e in items) == 10


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
    # B US: the existing store and row 2 (the email); Plain US: a second account of seller_a on
    # amazon-us beside the existing store, and row 1 (the email) — one line each, details folded
    assert html.count('data-row-risks="2"') == 2
    assert html.count('<details class="small text-warning-emphasis mt-1 ls-row-risks"') == 2
    assert html.count("可能与 2 个店铺关联") == 2
    assert "本批第 2 行" in html and "本批第 1 行" in html
    assert "同一主体在该站点的第二个账户" in html
    assert existing.code in html and "boss@example.com" not in html
    assert 'id="batch-create"' in html and 'id="batch-create" data-recheck' in html
    assert "disabled" not in html.split('id="batch-create"')[1].split(">")[0]
