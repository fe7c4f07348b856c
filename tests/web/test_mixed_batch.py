"""A batch of several platforms (issue 12 §4): the wizard's template "by each row's site" takes
each row's template from its template column or the organization's default for its site, checks
every group with the batch services and creates them all or none, errors on the rows as typed."""

from __future__ import annotations

import re

import pytest

from linkstar.catalog.models import Platform, Site
from linkstar.playbooks.models import Template
from linkstar.playbooks.services import set_site_default
from linkstar.projects.forms import parse_pasted_rows
from linkstar.projects.models import StoreProject
from tests.support.clients import signed_in as client_for
from tests.support.pages import BATCH, row_inputs, text_of
from tests.support.seed import PROJECT_START


def builtin(key: str) -> Template:
    return Template.objects.get(organization__isnull=True, key=key)


def mixed(*, rows=(), members=(), **extra) -> dict:
    data = {
        "template": "auto",
        "start_date": "2026-11-02",
        "members": list(members),
        "row_store_name": [r[0] for r in rows],
        "row_site": [r[1] for r in rows],
        "row_entity": [r[2] for r in rows],
        "row_manager": [r[3] for r in rows],
        "row_template": [r[4] if len(r) > 4 else "" for r in rows],
    }
    data.update(extra)
    return data


def table_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") :].split('<template id="batch-row-template">')[0]
    return re.findall(r"<tr data-row.*?</tr>", body, re.S)


@pytest.fixture
def as_bob_client(bob):
    return client_for(bob)


def test_step_one_offers_each_rows_site_first(as_bob_client, org, amazon_na, entity):
    html = text_of(as_bob_client.get(BATCH))
    options = re.findall(r'<option value="([^"]*)"', html.split('id="id_template"')[1])
    assert options[:2] == ["", "auto"]
    assert "按每行站点选择模板（可混合平台）" in html
    html = text_of(as_bob_client.get(BATCH, {"template": "auto"}))
    assert '<option value="auto" selected>' in html


def test_step_two_by_site_has_a_template_column(as_bob_client, org, entity):
    html = text_of(as_bob_client.post(BATCH, mixed(action="rows")))
    assert 'id="batch-rows" data-step="2"' in html
    assert '<input type="hidden" name="template" value="auto">' in html
    assert html.count('name="row_template"') == 4  # three rows and the script's blank one
    assert 'id="template-options"' in html


def test_amazon_shopee_and_tiktok_rows_are_created_in_one_go(
    as_bob_client, org, bob, carol, entity, entity_yunfan
):
    rows = [
        ("Xinghe US", "amazon-us", entity.name, ""),
        ("Xinghe MY", "Shopee马来西亚", "Shenzhen Xinghe", "Bob"),
        ("Yunfan TikTok MY", "TikTok Shop 马来西亚站", entity_yunfan.name, ""),
        ("Yunfan US", "亚马逊美国站", entity_yunfan.name, ""),
    ]
    data = mixed(rows=rows, members=[carol.pk], action="preview")
    response = as_bob_client.post(BATCH, data)
    assert response.status_code == 200, text_of(response)[:3000]
    html = text_of(response)
    assert html.count('<tr data-row class="ls-row-ok"') == 4
    assert "亚马逊北美站开店 SOP" in table_rows(html)[0]  # the template each row gets
    assert "Shopee 跨境店开店 SOP" in table_rows(html)[1]
    assert not StoreProject.objects.exists()

    response = as_bob_client.post(BATCH, {**data, "action": "create"})
    assert response.status_code == 302
    created = list(StoreProject.objects.order_by("id").select_related("template_version"))
    by_name = {p.store_name: p for p in created}
    assert {p.code for p in created} == {"AMZ-US-0001", "AMZ-US-0002", "SHP-MY-0001", "TTS-MY-0001"}
    assert by_name["Xinghe US"].template_version.template == builtin("amazon-na")
    assert by_name["Xinghe MY"].template_version.template == builtin("shopee-cb")
    assert by_name["Yunfan TikTok MY"].template_version.template == builtin("tiktok-shop-cb")
    assert all(p.manager == bob and carol in p.members.all() for p in created)
    assert {p.start_date for p in created} == {PROJECT_START}
    html = text_of(as_bob_client.get(response["Location"]))
    for p in created:
        assert p.code in html


def test_errors_come_back_on_the_rows_as_typed(as_bob_client, org, entity, project):
    # Every shipped site has a built-in template: a site added later has none yet.
    Site.objects.create(
        platform=Platform.objects.get(code="walmart"),
        code="walmart-cl",
        name="沃尔玛智利站",
        country="CL",
        currency="CLP",
        language="es",
    )
    rows = [
        ("Good Shopee", "shopee-my", entity.name, ""),
        ("Bad Entity", "tiktok-shop-my", "不存在的公司", ""),
        ("Good US", "amazon-us", entity.name, ""),
        (project.store_name, "amazon-us", entity.name, ""),  # taken on the site: the service's
        ("No Site", "", entity.name, ""),
        ("Chile", "walmart-cl", entity.name, ""),
        ("Twice", "shopee-my", entity.name, ""),
        ("Twice", "Shopee 马来西亚站", entity.name, ""),
    ]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="create"))
    assert response.status_code == 422
    found = table_rows(text_of(response))
    assert len(found) == 8
    ok = [i for i, tr in enumerate(found) if "ls-row-ok" in tr]
    assert ok == [0, 2, 6]  # the first of two same names passes, the second is marked
    assert re.search(r'name="row_entity"[^>]*is-invalid', found[1])
    assert re.search(r'name="row_store_name"[^>]*is-invalid', found[3])
    assert project.store_name in found[3].split('name="row_store_name"')[1]
    assert re.search(r'name="row_site"[^>]*is-invalid', found[4])
    assert re.search(r'name="row_template"[^>]*is-invalid', found[5])
    assert "沃尔玛智利站" in found[5] and "walmart-cl" not in found[5].split("invalid-feedback")[1]
    assert re.search(r'name="row_store_name"[^>]*is-invalid', found[7])
    assert StoreProject.objects.count() == 1  # the fixture's only


def test_a_group_refused_at_creation_rolls_back_the_groups_before_it(
    as_bob_client, org, entity, project
):
    rows = [
        ("Fine Shopee", "shopee-my", entity.name, ""),
        ("Fine TikTok", "tiktok-shop-my", entity.name, ""),
        (project.store_name, "amazon-us", entity.name, ""),
    ]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="create"))
    assert response.status_code == 422
    found = table_rows(text_of(response))
    assert re.search(r'name="row_store_name"[^>]*is-invalid', found[2])
    assert "ls-row-ok" in found[0] and "ls-row-ok" in found[1]
    assert list(StoreProject.objects.all()) == [project]


def test_the_template_column_names_a_template_in_either_language(
    as_bob_client, as_alice, org, entity
):
    set_site_default(actor=as_alice, template=builtin("shopee-cb"), sites=["shopee-sg"])
    rows = [
        ("By English", "shopee-sg", entity.name, "", "shopee CROSS-BORDER store opening"),
        ("By Chinese", "lazada-my", entity.name, "", "Lazada 跨境店开店 SOP"),
        ("Unknown", "shopee-sg", entity.name, "", "没有这个模板"),
        ("Wrong site", "amazon-us", entity.name, "", "Lazada 跨境店开店 SOP"),
    ]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="preview"))
    assert response.status_code == 422
    found = table_rows(text_of(response))
    assert "ls-row-ok" in found[0] and "ls-row-ok" in found[1]
    assert re.search(r'name="row_template"[^>]*is-invalid', found[2])
    assert "没有这个模板" in found[2]
    assert re.search(r'name="row_site"[^>]*is-invalid', found[3])  # Lazada is not for Amazon US

    rows = rows[:2]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="create"))
    assert response.status_code == 302
    templates = dict(
        StoreProject.objects.values_list("store_name", "template_version__template__key")
    )
    assert templates == {"By English": "shopee-cb", "By Chinese": "lazada-cb"}


def test_one_store_twice_on_a_site_under_two_templates_is_marked(
    as_bob_client, org, entity, three_published_us_templates
):
    rows = [
        ("Same", "amazon-us", entity.name, "", "我们的美国模板"),
        ("Same", "amazon-us", entity.name, "", "另一个美国模板"),
    ]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="create"))
    assert response.status_code == 422
    found = table_rows(text_of(response))
    assert "ls-row-ok" in found[0]
    assert re.search(r'name="row_store_name"[^>]*is-invalid', found[1])
    assert not StoreProject.objects.exists()


def test_the_sites_default_is_the_one_set_on_the_templates_page(
    as_bob_client, as_alice, org, entity, three_published_us_templates
):
    own, _second = three_published_us_templates
    rows = [("Chosen", "amazon-us", entity.name, "")]
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="preview"))
    assert response.status_code == 422  # two own templates for the site and none chosen
    assert "亚马逊美国站" in table_rows(text_of(response))[0]
    set_site_default(actor=as_alice, template=own, sites=["amazon-us"])
    response = as_bob_client.post(BATCH, mixed(rows=rows, action="create"))
    assert response.status_code == 302
    assert StoreProject.objects.get().template_version.template == own


@pytest.fixture
def three_published_us_templates(as_alice):
    from linkstar.playbooks.services import (
        create_template,
        publish_version,
        replace_draft_tasks,
    )

    made = []
    for name in ("我们的美国模板", "另一个美国模板"):
        template = create_template(actor=as_alice, name=name, site="amazon-us")
        version = template.versions.get()
        replace_draft_tasks(
            actor=as_alice,
            version=version,
            tasks=[
                {
                    "key": "prepare",
                    "title": "准备资料",
                    "phase": "documents",
                    "offset_days": 0,
                    "duration_days": 1,
                }
            ],
        )
        publish_version(actor=as_alice, version=version)
        made.append(template)
    return made


def test_five_pasted_columns_fill_the_template_column_and_four_still_work():
    five = parse_pasted_rows(
        "店铺名称\t站点\t主体\t负责人\t模板\nA\tshopee-my\t星河\tBob\tShopee 跨境店开店 SOP"
    )
    assert (five[0].store_name, five[0].template) == ("A", "Shopee 跨境店开店 SOP")
    four = parse_pasted_rows("B\tamazon-us\t星河\tBob")
    assert (four[0].manager, four[0].template) == ("Bob", "")


def test_pasting_in_the_wizard_keeps_the_template_column(as_bob_client, org, entity):
    paste = "A\tshopee-my\t星河\t\tShopee 跨境店开店 SOP\nB\tamazon-us\t星河"
    html = text_of(as_bob_client.post(BATCH, mixed(action="paste", paste=paste)))
    assert row_inputs(html) == ["A", "B"]
    assert 'name="row_template" value="Shopee 跨境店开店 SOP"' in html


def test_a_mixed_preview_of_30_rows_costs_a_bounded_number_of_queries(
    as_bob_client, org, entity, bob, django_assert_max_num_queries
):
    sites = ["amazon-us", "shopee-my", "tiktok-shop-my"]
    rows = [(f"Mixed {i}", sites[i % 3], entity.name, "Bob") for i in range(30)]
    # as many as rows of one template cost, plus the defaults (one) and each further
    # template's checks in the service: it grows with the templates, not the rows
    with django_assert_max_num_queries(42):
        response = as_bob_client.post(BATCH, mixed(rows=rows, action="preview"))
    assert response.status_code == 200
    assert text_of(response).count('<tr data-row class="ls-row-ok"') == 30
