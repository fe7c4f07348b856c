"""Association-risk detection: which identifiers match, across which projects and sites, which
not; one risk per pair of projects, closed (never deleted) when it stops holding."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkstar.catalog.models import Site
from linkstar.compliance.models import (
    AssociationRisk,
    CloseReason,
    RiskBasis,
    RiskStatus,
    StoreIdentifier,
)
from linkstar.compliance.services import (
    acknowledge_risk,
    detect_risks,
    on_identifiers_changed,
    on_project_entity_changed,
    open_risks,
    recheck_all_risks,
)
from linkstar.entities.models import Identifier
from linkstar.playbooks.models import Template
from linkstar.projects.models import StoreProject
from linkstar.projects.services import ProjectRow, change_stage, create_projects_batch
from tests.support.compliance import START, identify, open_store, register, seller
from tests.support.seed import actor_of

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


def pairs() -> set[tuple[int, int]]:
    return set(AssociationRisk.objects.values_list("project_id", "other_project_id"))


def linked(project) -> set[int]:
    """The other projects of ``project``'s open risks, from either side."""
    return {r.other_project_id for r in open_risks(project)}


def the_risk() -> AssociationRisk:
    (risk,) = AssociationRisk.objects.all()
    return risk


def shared_kinds(risk) -> list[str]:
    return sorted(i["kind"] for i in risk.identifiers)


@pytest.mark.parametrize("kind", list(SAME))
def test_each_kind_of_shared_identifier_is_one_risk_seen_from_both_projects(
    kind, as_bob, seller_a, seller_b
):
    mine, theirs = SAME[kind]
    identify(seller_a, kind, mine)
    identify(seller_b, kind, theirs)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-ca", "B CA")  # same NA account region
    risk = the_risk()  # one row for the pair, the lower id first
    assert (risk.project_id, risk.other_project_id) == (first.pk, second.pk)
    assert risk.basis == RiskBasis.SHARED_IDENTIFIERS and risk.status == RiskStatus.OPEN
    assert risk.kind == kind and risk.kinds == f" {kind} "
    assert risk.identifiers == [{"kind": kind, "digest": risk.digest, "masked": risk.masked}]
    assert risk.digest == Identifier.objects.get(entity=seller_a).digest
    assert "*" in risk.masked and risk.masked not in (mine, theirs)  # masked, never the value
    assert mine not in str(risk.identifiers) and theirs not in str(risk.identifiers)
    # seen from either side, oriented: other_project is the other one
    (from_first,) = open_risks(first)
    (from_second,) = open_risks(second)
    assert from_first.pk == from_second.pk == risk.pk
    assert (from_first.project_id, from_first.other_project_id) == (first.pk, second.pk)
    assert (from_second.project_id, from_second.other_project_id) == (second.pk, first.pk)
    assert from_second.other_project == first and from_second.project == second


def test_one_person_as_legal_representative_and_as_owner_matches(as_bob, seller_a, seller_b):
    identify(seller_a, "legal_rep_id", "440301198805121234")
    identify(seller_b, "owner_id", "440301198805121234")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = the_risk()
    assert len(risk.identifiers) == 1
    assert risk.identifiers[0]["kind"] in ("legal_rep_id", "owner_id")


def test_one_risk_lists_every_shared_identifier(as_bob, seller_a, seller_b):
    for kind in ("email", "phone"):
        identify(seller_a, kind, SAME[kind][0])
        identify(seller_b, kind, SAME[kind][1])
    identify(seller_a, "address", "杭州市西湖区 1 号")
    identify(seller_b, "address", "广州市天河区 2 号")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = the_risk()
    assert (risk.project_id, risk.other_project_id) == (first.pk, second.pk)
    assert shared_kinds(risk) == ["email", "phone"] and risk.kinds == " email phone "
    assert (risk.kind, risk.digest, risk.masked) == tuple(
        risk.identifiers[0][k] for k in ("kind", "digest", "masked")
    )
    assert all(len(i["digest"]) == 64 and "*" in i["masked"] for i in risk.identifiers)


# --- one seller entity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [
        ("amazon-us", "amazon-mx"),  # one NA unified account
        ("amazon-us", "amazon-ca"),
        ("amazon-de", "amazon-uk"),  # one EU unified account
        ("shopee-my", "shopee-sg"),  # one Shopee main account
        ("tiktok-shop-my", "tiktok-shop-sg"),  # TikTok Shop South-East Asia
    ],
)
def test_one_entity_on_sites_of_one_account_scope_is_not_linked(site_a, site_b, as_bob, seller_a):
    identify(seller_a, "registration_number", "91440300MA5G8ABCD1")
    identify(seller_a, "phone", "13800138000")
    first = open_store(as_bob, seller_a, site_a, "A 1")
    second = open_store(as_bob, seller_a, site_b, "A 2")
    assert not AssociationRisk.objects.exists()
    assert detect_risks(organization=first.organization, projects=[first, second]) == []


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [("amazon-us", "amazon-de"), ("amazon-de", "amazon-jp"), ("tiktok-shop-uk", "tiktok-shop-my")],
)
def test_one_entity_on_another_scope_of_the_platform_is_not_linked(
    site_a, site_b, as_bob, seller_a
):
    """Its account in another scope is a normal, linked account of the same seller."""
    identify(seller_a, "email", "boss@example.com")
    open_store(as_bob, seller_a, site_a, "A 1")
    open_store(as_bob, seller_a, site_b, "A 2")
    assert not AssociationRisk.objects.exists()


def test_one_entity_twice_on_the_same_site_is_a_second_account(as_bob, seller_a):
    """Even without any identifier: a second account on one site."""
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_a, "amazon-us", "A US 2")
    risk = the_risk()
    assert (risk.project_id, risk.other_project_id) == (first.pk, second.pk)
    assert risk.basis == RiskBasis.SECOND_ACCOUNT and risk.status == RiskStatus.OPEN
    assert risk.identifiers == [] and risk.masked == ""
    assert linked(first) == {second.pk} and linked(second) == {first.pk}


def test_a_second_account_lists_the_identifiers_it_repeats(as_bob, seller_a):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_a, "phone", "13800138000")
    open_store(as_bob, seller_a, "shopee-my", "A MY")
    open_store(as_bob, seller_a, "shopee-my", "A MY 2")
    risk = the_risk()
    assert risk.basis == RiskBasis.SECOND_ACCOUNT
    assert shared_kinds(risk) == ["email", "phone"]


# --- different entities ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [
        ("amazon-de", "amazon-uk"),  # Amazon Europe: one unified account
        ("tiktok-shop-my", "tiktok-shop-sg"),  # TikTok Shop South-East Asia
        ("shopee-my", "shopee-sg"),  # Shopee: one main account, platform-wide
        ("ebay-us", "ebay-de"),  # eBay: platform-wide
        ("amazon-us", "amazon-us"),  # the same site
    ],
)
def test_different_entities_sharing_an_identifier_in_one_scope_are_linked(
    site_a, site_b, as_bob, seller_a, seller_b
):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    first = open_store(as_bob, seller_a, site_a, "A")
    second = open_store(as_bob, seller_b, site_b, "B")
    assert pairs() == {(first.pk, second.pk)}
    assert the_risk().basis == RiskBasis.SHARED_IDENTIFIERS


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [("amazon-us", "amazon-de"), ("amazon-de", "amazon-jp"), ("amazon-uk", "amazon-mx")],
)
def test_amazon_links_different_entities_across_its_scopes(
    site_a, site_b, as_bob, seller_a, seller_b
):
    """Amazon links accounts across marketplaces: a shared phone in North America and Europe
    is a risk."""
    assert Site.objects.get(code=site_a).rules["links_across_scopes"] is True
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "+86 138 0013 8000")
    first = open_store(as_bob, seller_a, site_a, "A")
    second = open_store(as_bob, seller_b, site_b, "B")
    assert pairs() == {(first.pk, second.pk)}
    risk = the_risk()
    assert risk.basis == RiskBasis.SHARED_IDENTIFIERS and shared_kinds(risk) == ["phone"]


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [("tiktok-shop-uk", "tiktok-shop-my"), ("tiktok-shop-uk", "tiktok-shop-sg")],
)
def test_tiktok_shop_does_not_link_across_its_scopes(site_a, site_b, as_bob, seller_a, seller_b):
    assert Site.objects.get(code=site_a).rules["links_across_scopes"] is False
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    a = open_store(as_bob, seller_a, site_a, "A")
    b = open_store(as_bob, seller_b, site_b, "B")
    register(a, "ip_address", "203.0.113.7")
    register(b, "ip_address", "203.0.113.7")
    assert detect_risks(organization=a.organization, projects=[a, b]) == []
    assert not AssociationRisk.objects.exists()


@pytest.mark.parametrize(
    ("site_a", "site_b"),
    [
        ("amazon-us", "ebay-us"),
        ("shopee-my", "tiktok-shop-my"),
        ("shopee-sg", "tiktok-shop-sg"),
        ("amazon-de", "ebay-de"),
    ],
)
@pytest.mark.parametrize("same_entity", [False, True])
def test_different_platforms_are_never_linked(
    site_a, site_b, same_entity, as_bob, seller_a, seller_b
):
    other = seller_a if same_entity else seller_b
    identify(seller_a, "phone", "13800138000")
    if not same_entity:
        identify(seller_b, "phone", "13800138000")
    a = open_store(as_bob, seller_a, site_a, "A")
    b = open_store(as_bob, other, site_b, "B")
    register(a, "ip_address", "203.0.113.7")
    register(b, "ip_address", "203.0.113.7")
    assert detect_risks(organization=a.organization, projects=[a, b]) == []
    assert not AssociationRisk.objects.exists()


def test_different_values_do_not_match(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "a@example.com")
    identify(seller_b, "email", "b@example.com")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()


def test_another_organizations_projects_never_match(
    as_bob, seller_a, other_org, mallory, amazon_na
):
    identify(seller_a, "email", "boss@example.com")
    evil = seller(other_org, "Evil Seller")
    identify(evil, "email", "boss@example.com")
    evil_store = open_store(actor_of(other_org, mallory), evil, "amazon-us", "Evil US")
    mine = open_store(as_bob, seller_a, "amazon-us", "A US")
    register(evil_store, "ip_address", "203.0.113.7")
    register(mine, "ip_address", "203.0.113.7")
    detect_risks(organization=mine.organization, projects=[mine])
    detect_risks(organization=other_org, projects=None)
    assert not AssociationRisk.objects.exists()


def test_cancelled_projects_are_left_out(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    old = open_store(as_bob, seller_a, "amazon-us", "A US")
    change_stage(actor=as_bob, project=old, stage="cancelled")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()


def test_a_project_alone_has_no_risk_with_itself(as_bob, seller_a):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_a, "phone", "13800138000")
    project = open_store(as_bob, seller_a, "amazon-us", "A US")
    register(project, "phone", "13800138000")
    assert detect_risks(organization=project.organization, projects=[project]) == []
    assert not AssociationRisk.objects.exists()


# --- the stores' registration environment ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("phone", "13900139000"),
        ("email", "register@shop.example"),
        ("ip_address", "203.0.113.7"),
        ("device_profile", "adspower-profile-0042"),
    ],
)
def test_a_registration_identifier_shared_by_two_entities_stores_is_a_risk(
    kind, value, as_bob, seller_a, seller_b, org
):
    a_us = open_store(as_bob, seller_a, "amazon-us", "A US")
    a_ca = open_store(as_bob, seller_a, "amazon-ca", "A CA")
    b_us = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()
    register(a_us, kind, value)
    register(b_us, kind, value)
    new = detect_risks(organization=org, projects=[a_us, b_us])
    assert [(r.project_id, r.other_project_id) for r in new] == [(a_us.pk, b_us.pk)]
    risk = the_risk()
    assert risk.basis == RiskBasis.SHARED_IDENTIFIERS and shared_kinds(risk) == [kind]
    assert risk.masked != value and value not in str(risk.identifiers)
    # the identifier is a_us's own, not its entity's: a_ca is not linked with b_us
    assert linked(a_ca) == set()
    assert detect_risks(organization=org, projects=[a_ca]) == []


def test_a_store_phone_matches_another_entitys_phone(as_bob, seller_a, seller_b, org):
    """The store's registration phone is matched against the other entities' phones too."""
    identify(seller_b, "phone", "+86 139 0013 9000")
    a_us = open_store(as_bob, seller_a, "amazon-us", "A US")
    b_de = open_store(as_bob, seller_b, "amazon-de", "B DE")
    register(a_us, "phone", "13900139000")
    register(a_us, "ip_address", "203.0.113.7")
    register(b_de, "ip_address", "203.0.113.7")
    detect_risks(organization=org, projects=[a_us])
    risk = the_risk()
    assert (risk.project_id, risk.other_project_id) == (a_us.pk, b_de.pk)
    assert shared_kinds(risk) == ["ip_address", "phone"]
    assert risk.kinds == " ip_address phone "


def test_registration_identifiers_are_found_when_the_other_store_is_the_source(
    as_bob, seller_a, seller_b, org
):
    a_my = open_store(as_bob, seller_a, "shopee-my", "A MY")
    b_sg = open_store(as_bob, seller_b, "shopee-sg", "B SG")
    register(a_my, "device_profile", "profile-7")
    register(b_sg, "device_profile", "profile-7")
    detect_risks(organization=org, projects=[b_sg])
    assert pairs() == {(a_my.pk, b_sg.pk)}
    StoreIdentifier.objects.filter(project=a_my).delete()
    detect_risks(organization=org, projects=[a_my])
    risk = the_risk()
    assert risk.status == RiskStatus.CLOSED
    assert risk.close_reason == CloseReason.IDENTIFIERS_CHANGED


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
            ProjectRow(store_name="C US 2", entity_id=third.pk),
        ],
        start_date=START,
    )
    b_us, b_ca, c_us, c_us2 = created
    # b's two stores are one account (one entity, one scope); each is linked with a's
    assert linked(b_us) == {existing.pk} and linked(b_ca) == {existing.pk}
    assert linked(existing) == {b_us.pk, b_ca.pk}
    # c's two stores on one site: a second account, between rows of the batch
    assert linked(c_us) == {c_us2.pk}
    assert AssociationRisk.objects.get(project=c_us).basis == RiskBasis.SECOND_ACCOUNT
    assert pairs() == {(existing.pk, b_us.pk), (existing.pk, b_ca.pk), (c_us.pk, c_us2.pk)}


def test_detection_runs_when_identifiers_change(as_bob, seller_a, seller_b):
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert not AssociationRisk.objects.exists()
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "+86 13800138000")
    new = on_identifiers_changed(seller_b)
    assert [(r.project_id, r.other_project_id) for r in new] == [(first.pk, second.pk)]
    assert pairs() == {(first.pk, second.pk)}
    # a second shared identifier joins the same risk
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "Boss@example.com")
    assert on_identifiers_changed(seller_a) == []
    risk = the_risk()
    assert shared_kinds(risk) == ["email", "phone"] and risk.status == RiskStatus.OPEN


def test_a_risk_is_closed_when_the_identifier_goes_and_reopened_when_it_comes_back(
    as_bob, seller_a, seller_b
):
    identify(seller_a, "phone", "13800138000")
    row = identify(seller_b, "phone", "13800138000")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = the_risk()
    row.delete()
    assert on_identifiers_changed(seller_b) == []
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED  # kept, not deleted
    assert risk.close_reason == CloseReason.IDENTIFIERS_CHANGED and risk.closed_at is not None
    assert list(open_risks(first)) == [] and list(open_risks(second)) == []
    # detecting again leaves it closed
    assert detect_risks(organization=first.organization) == []
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED
    # the phone comes back: the same row opens again
    identify(seller_b, "phone", "+86 138 0013 8000")
    again = on_identifiers_changed(seller_b)
    assert [r.pk for r in again] == [risk.pk]
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN
    assert risk.close_reason == "" and risk.closed_at is None
    assert AssociationRisk.objects.count() == 1
    assert linked(first) == {second.pk}


def test_acknowledged_risks_stay_acknowledged_when_the_identifier_goes(as_bob, seller_a, seller_b):
    identify(seller_a, "phone", "13800138000")
    row = identify(seller_b, "phone", "13800138000")
    open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = the_risk()
    acknowledge_risk(actor=as_bob, risk=risk, reason="phone replaced on the platform")
    row.delete()
    on_identifiers_changed(seller_b)
    risk.refresh_from_db()
    assert list(AssociationRisk.objects.values_list("pk", flat=True)) == [risk.pk]
    assert risk.status == RiskStatus.ACKNOWLEDGED and risk.close_reason == ""
    assert risk.reason == "phone replaced on the platform"


def test_detecting_again_keeps_acknowledgements_and_adds_nothing(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    open_store(as_bob, seller_b, "amazon-us", "B US")
    risk = the_risk()
    acknowledge_risk(actor=as_bob, risk=risk, reason="same unified account")
    assert detect_risks(organization=first.organization) == []
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED and AssociationRisk.objects.count() == 1


def test_a_project_moved_to_another_entity_is_checked_again(as_bob, seller_a, seller_b, org):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    clean = seller(org, "干净主体")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert AssociationRisk.objects.count() == 1
    StoreProject.objects.filter(pk=second.pk).update(entity=clean)
    second.refresh_from_db()
    assert on_project_entity_changed(second) == []
    risk = the_risk()
    assert risk.status == RiskStatus.CLOSED
    assert risk.close_reason == CloseReason.IDENTIFIERS_CHANGED
    assert linked(first) == set() and linked(second) == set()


def test_a_project_moved_onto_the_entity_of_a_store_on_its_site_is_a_second_account(
    as_bob, seller_a, seller_b
):
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    StoreProject.objects.filter(pk=second.pk).update(entity=seller_a)
    second.refresh_from_db()
    (new,) = on_project_entity_changed(second)
    assert (new.project_id, new.other_project_id) == (first.pk, second.pk)
    assert new.basis == RiskBasis.SECOND_ACCOUNT


def _eight_stores_at_one_address(as_bob, org, amazon_na, settings):
    """Eight entities sharing one address, a store each, with a peer limit of 3."""
    settings.LINKSTAR_ASSOCIATION_RISK_MAX_PEERS = 3
    shared = [seller(org, f"主体 {i}") for i in range(8)]
    for entity in shared:
        identify(entity, "address", "同一地址 1 号")
    return create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=e.pk) for i, e in enumerate(shared)],
        start_date=START,
    )


def test_at_most_the_configured_number_of_other_projects_per_project(
    as_bob, org, amazon_na, settings
):
    created = _eight_stores_at_one_address(as_bob, org, amazon_na, settings)
    assert AssociationRisk.objects.count() <= len(created) * 3  # not 8 * 7 / 2 = 28
    for project in created:
        assert 1 <= len(linked(project)) <= len(created) - 1


def test_detecting_one_project_again_keeps_its_risks_beyond_the_peer_limit(
    as_bob, org, amazon_na, settings
):
    """The peer limit bounds how many risks one run records; risks that still hold are not
    closed because a later run of one project records others first."""
    created = _eight_stores_at_one_address(as_bob, org, amazon_na, settings)
    first = created[0]
    before = linked(first)
    assert len(before) > 3  # the other stores of the batch each recorded it
    assert detect_risks(organization=org, projects=[first]) == []  # nothing changed
    assert not AssociationRisk.objects.filter(status=RiskStatus.CLOSED).exists()
    assert linked(first) == before


def test_detection_costs_the_same_queries_for_10_and_100_new_projects(as_bob, org, amazon_na):
    template = Template.objects.get(pk=amazon_na.pk)

    def batch(n: int, prefix: str) -> int:
        entities = [seller(org, f"{prefix} {i}") for i in range(n)]
        for i, entity in enumerate(entities):
            identify(entity, "phone", f"1380013{i % 5:04d}")  # every fifth shares a phone
            identify(entity, "email", f"{prefix}{i}@example.com")
        projects = create_projects_batch(
            actor=as_bob,
            template_id=template.pk,
            rows=[
                ProjectRow(store_name=f"{prefix}{i}", entity_id=e.pk)
                for i, e in enumerate(entities)
            ],
            start_date=START,
        )
        for i, project in enumerate(projects):
            register(project, "ip_address", f"198.51.100.{i % 7}")
        ids = [p.pk for p in projects]
        AssociationRisk.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            detect_risks(organization=org, projects=ids)
        return len([q for q in ctx.captured_queries if not q["sql"].startswith("INSERT")])

    # sources, sites, their identifiers (entity, store), the projects sharing them (entity, store),
    # the same entity on the same sites, the stored risks; a savepoint around the insert
    assert batch(10, "small") == batch(100, "large") <= 10


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
    assert pairs() == {(first.pk, second.pk)}


# --- the catalog's rules change --------------------------------------------------------------


def _set_rules(prefix: str, **rules) -> None:
    for site in Site.objects.filter(code__startswith=prefix):
        site.rules = {**site.rules, **rules}
        site.save(update_fields=["rules"])


def test_recheck_all_risks_closes_what_the_new_rules_no_longer_make_a_risk(
    as_bob, seller_a, seller_b, org
):
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    a_us = open_store(as_bob, seller_a, "amazon-us", "A US")
    b_de = open_store(as_bob, seller_b, "amazon-de", "B DE")
    b_jp = open_store(as_bob, seller_b, "amazon-jp", "B JP")
    b_us = open_store(as_bob, seller_b, "amazon-us", "B US")
    assert pairs() == {(a_us.pk, b_de.pk), (a_us.pk, b_jp.pk), (a_us.pk, b_us.pk)}
    acknowledged = AssociationRisk.objects.get(other_project=b_jp)
    acknowledge_risk(actor=as_bob, risk=acknowledged, reason="the client's Japan account")
    assert recheck_all_risks() == {"opened": 0, "closed": 0}  # nothing changed

    _set_rules("amazon-", links_across_scopes=False)
    assert recheck_all_risks() == {"opened": 0, "closed": 1}
    closed = AssociationRisk.objects.get(other_project=b_de)
    assert closed.status == RiskStatus.CLOSED
    assert closed.close_reason == CloseReason.RULES_CHANGED and closed.closed_at is not None
    acknowledged.refresh_from_db()
    assert acknowledged.status == RiskStatus.ACKNOWLEDGED and acknowledged.close_reason == ""
    assert AssociationRisk.objects.get(other_project=b_us).status == RiskStatus.OPEN
    assert linked(a_us) == {b_us.pk}

    # the rule comes back: the closed risk opens again
    _set_rules("amazon-", links_across_scopes=True)
    assert recheck_all_risks() == {"opened": 1, "closed": 0}
    closed.refresh_from_db()
    assert closed.status == RiskStatus.OPEN and closed.close_reason == ""


def test_recheck_all_risks_opens_what_new_scopes_make_a_risk(as_bob, seller_a, seller_b):
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    uk = open_store(as_bob, seller_a, "tiktok-shop-uk", "A UK")
    my = open_store(as_bob, seller_b, "tiktok-shop-my", "B MY")
    assert not AssociationRisk.objects.exists()
    _set_rules("tiktok-shop-", association_scope="platform")
    assert recheck_all_risks() == {"opened": 1, "closed": 0}
    assert pairs() == {(uk.pk, my.pk)}


# --- the acceptance case -------------------------------------------------------------

# Three client companies, 20 stores on Shopee and TikTok Shop South-East Asia; no company twice
# on one site.
COMPANIES = {
    "甲": {
        "shopee-cb": ["shopee-my", "shopee-sg", "shopee-th", "shopee-ph"],
        "tiktok-shop-cb": ["tiktok-shop-my", "tiktok-shop-sg", "tiktok-shop-th"],
    },
    "乙": {
        "shopee-cb": ["shopee-my", "shopee-sg", "shopee-vn"],
        "tiktok-shop-cb": ["tiktok-shop-my", "tiktok-shop-ph", "tiktok-shop-vn", "tiktok-shop-th"],
    },
    "丙": {
        "shopee-cb": ["shopee-my", "shopee-sg", "shopee-th"],
        "tiktok-shop-cb": ["tiktok-shop-sg", "tiktok-shop-my", "tiktok-shop-ph"],
    },
}


def _open_batch(as_bob, org, *, shared_phone: bool) -> dict[str, dict[str, list]]:
    entities = {name: seller(org, f"{name}公司") for name in COMPANIES}
    for i, entity in enumerate(entities.values()):
        identify(entity, "email", f"client{i}@example.com")
        identify(entity, "registration_number", f"91440300MA5G8AB{i:03d}")
    if shared_phone:
        identify(entities["甲"], "phone", "13800138000")
        identify(entities["乙"], "phone", "+86 138 0013 8000")
    identify(entities["丙"], "phone", "13900139000")
    stores: dict[str, dict[str, list]] = {name: {} for name in COMPANIES}
    for key in ("shopee-cb", "tiktok-shop-cb"):
        template = Template.objects.get(organization__isnull=True, key=key)
        rows = [
            ProjectRow(store_name=f"{name} {site}", entity_id=entities[name].pk, site=site)
            for name, plan in COMPANIES.items()
            for site in plan[key]
        ]
        created = iter(
            create_projects_batch(
                actor=as_bob, template_id=template.pk, rows=rows, start_date=START
            )
        )
        for name, plan in COMPANIES.items():
            stores[name][key] = [next(created) for _site in plan[key]]
    assert sum(len(s) for plan in stores.values() for s in plan.values()) == 20
    return stores


def test_a_batch_of_20_stores_for_3_companies_that_share_nothing_has_no_risk(as_bob, org):
    _open_batch(as_bob, org, shared_phone=False)
    assert not AssociationRisk.objects.exists()
    assert detect_risks(organization=org) == []


def test_two_companies_sharing_a_phone_give_one_risk_per_pair_on_each_platform(
    as_bob, org, settings
):
    settings.LINKSTAR_ASSOCIATION_RISK_MAX_PEERS = 10
    stores = _open_batch(as_bob, org, shared_phone=True)
    expected = {
        (min(a.pk, b.pk), max(a.pk, b.pk))
        for key in ("shopee-cb", "tiktok-shop-cb")
        for a in stores["甲"][key]
        for b in stores["乙"][key]
    }
    assert len(expected) == 4 * 3 + 3 * 4
    assert pairs() == expected
    for risk in AssociationRisk.objects.all():
        assert risk.status == RiskStatus.OPEN and risk.basis == RiskBasis.SHARED_IDENTIFIERS
        assert shared_kinds(risk) == ["phone"]
    for key in ("shopee-cb", "tiktok-shop-cb"):
        for project in stores["丙"][key]:
            assert linked(project) == set()
    assert detect_risks(organization=org) == []  # found once
