"""Batch paste that understands what people paste (issue 12 §4): sites by code, Chinese or
English name, with or without 站, the country alone or with the platform; people by email, name
or a unique part; seller entities by name, unified social credit code or a unique part — with
"did you mean" suggestions, and no raw codes in the messages."""

from __future__ import annotations

import pytest

from linkstar.accounts.models import Membership
from linkstar.catalog.models import Site
from linkstar.entities.services import create_entity
from linkstar.playbooks.models import Template
from linkstar.projects.forms import BatchRowInput, RowResolver
from linkstar.projects.views.create import Choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolver(org, as_alice, bob, carol, dave, entity, entity_yunfan):
    def make(template_key: str | None = None):
        choices = Choices(as_alice)
        preferred = []
        if template_key:
            template = Template.objects.get(organization__isnull=True, key=template_key)
            preferred = [s.code for s in choices.sites_of(template)]
        return RowResolver(
            sites=Site.objects.select_related("platform"),
            entities=choices.entities,
            memberships=Membership.objects.filter(organization=org).select_related("user"),
            preferred_sites=preferred,
            codes=choices.registration_codes(),
        )

    return make


def resolve(resolver, **cells):
    row = BatchRowInput(store_name="Shop", **cells)
    return resolver.resolve(row), row


@pytest.mark.parametrize(
    "typed", ["shopee-th", "Shopee泰国", "shopee 泰国站", "泰国", "泰国站", "TH", "Shopee Thailand"]
)
def test_a_site_is_named_the_ways_people_name_it(resolver, typed):
    values, row = resolve(resolver("shopee-cb"), site=typed)
    assert values["site"] == "shopee-th" and not row.errors


@pytest.mark.parametrize(
    "typed", ["亚马逊美国站", "亚马逊美国", "美国", "US", "amazon us", "Amazon-US"]
)
def test_amazon_us_too(resolver, typed):
    values, row = resolve(resolver("amazon-na"), site=typed)
    assert values["site"] == "amazon-us" and not row.errors


def test_a_country_alone_without_a_template_to_prefer_names_the_candidates(resolver):
    values, row = resolve(resolver(), site="泰国")
    assert values["site"] is None
    (message,) = row.errors["site"]
    assert "Shopee" in message or "虾皮" in message
    assert "shopee-th" not in message and "lazada-th" not in message  # names, not codes


def test_an_unknown_site_suggests_close_names(resolver):
    values, row = resolve(resolver("amazon-na"), site="亚马逊美果站")
    assert values["site"] is None
    (message,) = row.errors["site"]
    assert "亚马逊美国站" in message


@pytest.mark.parametrize("typed", ["carol@example.com", "Carol", "carol", "car"])
def test_people_by_email_name_or_a_unique_part(resolver, carol, typed):
    values, row = resolve(resolver(), manager=typed)
    assert values["manager_id"] == carol.pk and not row.errors


def test_a_part_that_matches_several_people_asks_for_the_email(resolver):
    values, row = resolve(resolver(), manager="example.com")
    assert values["manager_id"] is None
    (message,) = row.errors["manager"]
    assert "Bob" in message and "Carol" in message


def test_an_unknown_person_gets_a_suggestion(resolver):
    values, row = resolve(resolver(), manager="Carel")
    assert values["manager_id"] is None
    assert "Carol" in row.errors["manager"][0]


@pytest.mark.parametrize(
    "typed", ["深圳市星河跨境电子商务有限公司", "星河", "Shenzhen Xinghe", "91440300MA5G8ABCD1"]
)
def test_an_entity_by_name_a_unique_part_or_its_credit_code(resolver, entity, typed):
    values, row = resolve(resolver(), entity=typed)
    assert values["entity_id"] == entity.pk and not row.errors


def test_a_part_shared_by_several_entities_lists_them(resolver, as_alice):
    create_entity(actor=as_alice, name="深圳市星河贸易有限公司")
    values, row = resolve(resolver(), entity="星河")
    assert values["entity_id"] is None
    (message,) = row.errors["entity"]
    assert "深圳市星河跨境电子商务有限公司" in message and "深圳市星河贸易有限公司" in message


def test_an_unknown_entity_gets_a_did_you_mean(resolver):
    values, row = resolve(resolver(), entity="杭州云帆贸易公司")
    assert values["entity_id"] is None
    assert "杭州云帆贸易有限公司" in row.errors["entity"][0]
