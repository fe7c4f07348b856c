"""Association-risk detection: which identifiers match, across which projects, and which not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.compliance.services import (
    acknowledge_risk,
    detect_risks,
    on_identifiers_changed,
    on_project_entity_changed,
)
from linkstar.entities.models import Identifier
from linkstar.playbooks.models import Template
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow, change_stage, create_projects_batch
from tests.compliance.conftest import START, identify, open_store, seller
from tests.conftest import actor_of

# Two spellings of one identifier that the normalisation makes equal, per kind.
SAME = {
    "registration_number": ("91440300MA5G8ABCD1", "91440300ma5g8abcd1"),
    "legal_rep_id": ("440301198805121234", "4403 0119 8805 1212 34"),
    "owner_id": ("E12345678", "e12345678"),
    "email": ("Shop.Owner@Example.com", " shop.owner@example.com"),
    "phone": ("+86 138-0013-8000", "8613800138000"),
    "card": ("4111 1111 1111 1111", "4111111111111111"),
    "collection_account": ("6222-0210-0112-3456", "6222021001123456"),
    "address": ("深圳市南山区科技园 1 号", "深圳市南山区科技园1号"),
}


def risks(project) -> list[AssociationRisk]:
    return list(AssociationRisk.objects.filter(project=project).order_by("kind", "pk"))


@pytest.mark.parametrize("kind", list(SAME))
def test_each_kind_of_shared_identifier_is_a_risk_for_both_projects(
    kind, as_bob, seller_a, seller_b
):
    mine, theirs = SAME[kind]
    identify(seller_a, kind, mine)
    identify(seller_b, kind, theirs)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-ca", "B CA")  # same NA account region
    (a,) = risks(first)
    (b,) = risks(second)
    assert (a.other_project_id, b.other_project_id) == (second.pk, first.pk)
    assert a.kind == b.kind == kind
    assert a.digest == b.digest
    assert a.status == RiskStatus.OPEN
    assert "*" in a.masked and a.masked != mine  # masked, never the value
    assert not AssociationRisk.objects.filter(masked__in=[mine, theirs]).exists()


def test_one_person_as_legal_representative_and_as_owner_matches(as_bob, seller_a, seller_b):
    identify(seller_a, "legal_rep_id", "440301198805121234")
    identify(seller_b, "owner_id", "440301198805121234")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert [r.kind for r in risks(first)] == ["legal_rep_id"]
    assert [r.kind for r in risks(second)] == ["owner_id"]


def test_every_shared_identifier_is_its_own_risk(as_bob, seller_a, seller_b):
    for kind in ("email", "phone"):
        identify(seller_a, kind, SAME[kind][0])
        identify(seller_b, kind, SAME[kind][1])
    identify(seller_a, "address", "杭州市西湖区 1 号")
    identify(seller_b, "address", "广州市天河区 2 号")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    assert [r.kind for r in risks(first)] == ["email", "phone"]


def test_two_stores_of_one_entity_in_one_region_are_linked(as_bob, seller_a):
    identify(seller_a, "registration_number", "91440300MA5G8ABCD1")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_a, "amazon-mx", "A MX")
    assert [r.other_project_id for r in risks(first)] == [second.pk]


# --- non-matches -------------------------------------------------------------------------------


def test_different_values_do_not_match(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "a@example.com")
    identify(seller_b, "email", "b@example.com")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()


def test_a_different_platform_does_not_match(as_bob, seller_a, seller_b):
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "ebay-us", "B eBay")
    assert not AssociationRisk.objects.exists()


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [("amazon-us", "amazon-de"), ("amazon-de", "amazon-jp"), ("tiktok-shop-uk", "tiktok-shop-my")],
)
def test_a_different_region_does_not_match_where_the_rule_is_per_region(
    site_a, site_b, as_bob, seller_a, seller_b
):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    open_store(as_bob, seller_a, site_a, "A")
    open_store(as_bob, seller_b, site_b, "B")
    assert not AssociationRisk.objects.exists()


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [
        ("amazon-de", "amazon-uk"),  # Amazon Europe: one unified account
        ("tiktok-shop-my", "tiktok-shop-sg"),  # TikTok Shop South-East Asia
        ("shopee-my", "shopee-sg"),  # Shopee: one main account, platform-wide
        ("ebay-us", "ebay-de"),  # eBay: platform-wide
    ],
)
def test_sites_of_one_account_scope_match(site_a, site_b, as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    first = open_store(as_bob, seller_a, site_a, "A")
    open_store(as_bob, seller_b, site_b, "B")
    assert len(risks(first)) == 1


def test_another_organizations_projects_never_match(
    as_bob, seller_a, other_org, mallory, amazon_na
):
    identify(seller_a, "email", "boss@example.com")
    evil = seller(other_org, "Evil Seller")
    identify(evil, "email", "boss@example.com")
    open_store(actor_of(other_org, mallory), evil, "amazon-us", "Evil US")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    assert not AssociationRisk.objects.exists()


def test_cancelled_projects_are_left_out(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    old = open_store(as_bob, seller_a, "amazon-us", "A US")
    change_stage(actor=as_bob, project=old, stage="cancelled")
    AssociationRisk.objects.all().delete()
    open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()


def test_a_project_alone_has_no_risk_with_itself(as_bob, seller_a):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_a, "phone", "13800138000")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    assert not AssociationRisk.objects.exists()


# --- when detection runs ---------------------------------------------------------------------


def test_a_batch_finds_risks_with_existing_projects_and_between_its_rows(
    as_bob, seller_a, seller_b, org, amazon_na
):
    third = seller(org, "第三主体")
    for entity in (seller_a, seller_b):
        identify(entity, "address", "深圳市南山区科技园 1 号")
    identify(third, "email", "solo@example.com")
    existing = open_store(as_bob, seller_a, "amazon-us", "A US")
    created = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[
            ProjectRow(store_name="B US", entity_id=seller_b.pk),
            ProjectRow(store_name="B CA", entity_id=seller_b.pk, site="amazon-ca"),
            ProjectRow(store_name="C US", entity_id=third.pk),
        ],
        start_date=START,
    )
    b_us, b_ca, c_us = created
    assert {r.other_project_id for r in risks(b_us)} == {existing.pk, b_ca.pk}
    assert {r.other_project_id for r in risks(existing)} == {b_us.pk, b_ca.pk}
    assert risks(c_us) == []


def test_detection_runs_when_identifiers_change(as_bob, seller_a, seller_b):
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()
    identify(seller_a, "phone", "13800138000")
    row = identify(seller_b, "phone", "+86 13800138000")
    new = on_identifiers_changed(seller_b)
    assert {(r.project_id, r.other_project_id) for r in new} == {
        (first.pk, second.pk),
        (second.pk, first.pk),
    }
    # the phone is replaced: the open risks go
    row.delete()
    on_identifiers_changed(seller_b)
    assert not AssociationRisk.objects.exists()


def test_acknowledged_risks_stay_as_history_when_the_identifier_goes(as_bob, seller_a, seller_b):
    identify(seller_a, "phone", "13800138000")
    row = identify(seller_b, "phone", "13800138000")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    mine = AssociationRisk.objects.get(project=first)
    acknowledge_risk(actor=as_bob, risk=mine, reason="phone replaced on the platform")
    row.delete()
    on_identifiers_changed(seller_b)
    assert list(AssociationRisk.objects.values_list("pk", flat=True)) == [mine.pk]


def test_detecting_again_keeps_acknowledgements_and_adds_nothing(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = AssociationRisk.objects.get(project=first)
    acknowledge_risk(actor=as_bob, risk=risk, reason="same unified account")
    assert detect_risks(organization=first.organization) == []
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED and AssociationRisk.objects.count() == 2


def test_a_project_moved_to_another_entity_is_checked_again(as_bob, seller_a, seller_b, org):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    clean = seller(org, "干净主体")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert AssociationRisk.objects.count() == 2
    StoreProject.objects.filter(pk=second.pk).update(entity=clean)
    second.refresh_from_db()
    on_project_entity_changed(second)
    assert not AssociationRisk.objects.filter(project__in=[first, second]).exists()


def test_at_most_the_configured_number_of_other_projects_per_project(
    as_bob, org, amazon_na, settings
):
    settings.LINKSTAR_ASSOCIATION_RISK_MAX_PEERS = 3
    shared = [seller(org, f"主体 {i}") for i in range(8)]
    for entity in shared:
        identify(entity, "address", "同一地址 1 号")
    created = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=e.pk) for i, e in enumerate(shared)],
        start_date=START,
    )
    for project in created:
        assert 1 <= AssociationRisk.objects.filter(project=project).count() <= 3 * 2


def test_detection_costs_the_same_queries_for_10_and_100_new_projects(as_bob, org, amazon_na):
    template = Template.objects.get(pk=amazon_na.pk)

    def batch(n: int, prefix: str) -> int:
        entities = [seller(org, f"{prefix} {i}") for i in range(n)]
        for i, entity in enumerate(entities):
            identify(entity, "phone", f"1380013{i % 5:04d}")  # every fifth shares a phone
            identify(entity, "email", f"{prefix}{i}@example.com")
        ids = [
            p.pk
            for p in create_projects_batch(
                actor=as_bob,
                template_id=template.pk,
                rows=[
                    ProjectRow(store_name=f"{prefix}{i}", entity_id=e.pk)
                    for i, e in enumerate(entities)
                ],
                start_date=START,
            )
        ]
        AssociationRisk.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            detect_risks(organization=org, projects=ids)
        return len([q for q in ctx.captured_queries if not q["sql"].startswith("INSERT")])

    assert batch(10, "small") == batch(100, "large") <= 8


def test_identifiers_of_another_organization_are_never_read(as_bob, seller_a, other_org):
    evil = seller(other_org, "Evil Seller")
    identify(evil, "email", "boss@example.com")
    identify(seller_a, "email", "boss@example.com")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    assert Identifier.objects.count() == 2 and not AssociationRisk.objects.exists()


def test_a_record_written_by_the_entity_services_is_checked_after_commit(
    as_bob, as_alice, seller_a, seller_b, django_capture_on_commit_callbacks
):
    """Until the entity services call ``on_identifiers_changed`` themselves, a write of a
    record is noticed and detection runs once the transaction commits."""
    from linkstar.entities.services import create_record

    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    with django_capture_on_commit_callbacks(execute=True):
        create_record(
            actor=as_alice, entity=seller_a, record_type="contact", kind="email", value="x@y.cn"
        )
        create_record(
            actor=as_alice, entity=seller_b, record_type="contact", kind="email", value="X@y.cn"
        )
    assert {(r.project_id, r.other_project_id) for r in AssociationRisk.objects.all()} == {
        (first.pk, second.pk),
        (second.pk, first.pk),
    }
