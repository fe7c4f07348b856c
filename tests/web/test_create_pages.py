"""The new-project page and the batch creation wizard (批量开店), through the Django test client.

Both call the project services: errors come back on the field or the row they are about with
the input kept, a role without the right sees why, another organization's member gets 404, and
the pages cost a bounded number of queries with 500 projects in the organization.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import InvalidInput
from linkstar.entities.models import SellerEntity
from linkstar.playbooks.models import Template
from linkstar.projects.forms import RowResolver, parse_pasted_rows
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import (
    ProjectRow,
    create_projects_batch,
    org_today,
    validate_projects_batch,
)
from tests.support.clients import signed_in as client_for
from tests.support.pages import BATCH, row_inputs, text_of, wizard
from tests.support.seed import PROJECT_START, actor_of

CREATE = "/o/acme/projects/new/"


@pytest.fixture
def as_bob_client(bob):
    return client_for(bob)


def many_projects(as_bob, amazon_na, entity, n: int = 500) -> None:
    create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"Bulk {i:03d}", entity_id=entity.pk) for i in range(n)],
        start_date=PROJECT_START,
    )


def field_errors(html: str, name: str) -> list[str]:
    """The error messages drawn under the field ``name``."""
    return re.findall(rf'data-error-for="{name}">([^<]*)</div>', html)


# --- the new project page ------------------------------------------------------------------------


def test_the_form_offers_published_templates_by_platform_and_defaults(
    as_bob_client, org, bob, amazon_na, entity
):
    response = as_bob_client.get(CREATE, {"template": amazon_na.pk})
    assert response.status_code == 200
    html = text_of(response)
    assert '<optgroup label="亚马逊">' in html
    assert f'<option value="{amazon_na.pk}" selected>' in html
    for code in ("amazon-us", "amazon-ca", "amazon-mx"):
        assert f'value="{code}"' in html
    assert f'<option value="{bob.pk}" selected>' in html  # a manager manages by default
    assert f'value="{org_today(org).isoformat()}"' in html
    assert "深圳市星河跨境电子商务有限公司" in html
    assert 'id="no-entity"' not in html


def test_own_drafts_are_not_offered_and_own_published_templates_are(
    as_bob_client, as_alice, org, amazon_na
):
    from linkstar.playbooks.services import create_template, publish_version

    draft = create_template(actor=as_alice, name="草稿模板", site="amazon-us")
    own = create_template(actor=as_alice, name="自建模板", site="amazon-us", clone_from=amazon_na)
    publish_version(actor=as_alice, version=own.versions.get(number=1))
    html = text_of(as_bob_client.get(CREATE))
    assert f'value="{draft.pk}"' not in html
    assert f'<option value="{own.pk}">' in html


def test_choosing_another_template_redraws_the_site_choices(as_bob_client, org, entity):
    shopee = Template.objects.get(organization__isnull=True, key="shopee-cb")
    html = text_of(
        as_bob_client.get(CREATE, {"template": shopee.pk}, headers={"HX-Request": "true"})
    )
    site_field = html[
        html.index('id="site-field"') : html.index("</select>", html.index('id="site-field"'))
    ]
    codes = set(re.findall(r'value="([a-z-]+)"', site_field))
    assert codes == {s.code for s in shopee.sites.all()} | {shopee.site.code}
    assert "amazon-us" not in codes


def test_creating_a_project_redirects_to_its_page(
    as_bob_client, org, bob, carol, amazon_na, entity
):
    response = as_bob_client.post(
        CREATE,
        {
            "template": amazon_na.pk,
            "site": "amazon-ca",
            "store_name": "Xinghe Maple",
            "entity": entity.pk,
            "manager": bob.pk,
            "start_date": "2026-11-02",
            "members": [carol.pk],
        },
    )
    project = StoreProject.objects.get(store_name="Xinghe Maple")
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/projects/{project.pk}/"
    assert project.site.code == "amazon-ca" and project.code == "AMZ-CA-0001"
    assert project.manager == bob and list(project.members.all()) == [carol]
    assert project.start_date == PROJECT_START
    assert project.tasks.count() == project.task_count > 0
    assert AuditEvent.objects.filter(action="project.created", object_id=str(project.pk)).exists()


def test_service_errors_are_shown_on_their_fields_with_the_input_kept(
    as_bob_client, org, amazon_na, entity, project, carol
):
    response = as_bob_client.post(
        CREATE,
        {
            "template": amazon_na.pk,
            "site": "amazon-us",
            "store_name": project.store_name,  # already exists on amazon-us
            "entity": entity.pk,
            "manager": "",
            "start_date": "2026-11-09",
            "members": [carol.pk],
        },
    )
    assert response.status_code == 422
    html = text_of(response)
    assert "Xinghe Home US" in " ".join(field_errors(html, "store_name"))
    assert f'value="{project.store_name}"' in html  # what was typed is still there
    assert 'value="2026-11-09"' in html
    assert re.search(rf'name="members" value="{carol.pk}"[^>]* checked>', html)
    assert StoreProject.objects.count() == 1


def test_a_site_the_template_is_not_for_is_refused_on_the_site_field(
    as_bob_client, org, amazon_na, entity
):
    response = as_bob_client.post(
        CREATE,
        {"template": amazon_na.pk, "site": "shopee-br", "store_name": "X", "entity": entity.pk},
    )
    assert response.status_code == 422
    assert "shopee-br" in " ".join(field_errors(text_of(response), "site"))
    assert not StoreProject.objects.exists()


def test_an_empty_form_names_every_missing_field_and_writes_nothing(as_bob_client, org, entity):
    response = as_bob_client.post(CREATE, {"store_name": "", "start_date": ""})
    assert response.status_code == 422
    assert field_errors(text_of(response), "template")
    assert not StoreProject.objects.exists()


def test_an_organization_without_seller_entities_is_told_where_to_make_one(as_bob_client, org):
    html = text_of(as_bob_client.get(CREATE))
    assert 'id="no-entity"' in html
    assert 'id="create-submit" disabled' in html


def test_an_operator_sees_why_they_cannot_create(org, carol, amazon_na, entity):
    client = client_for(carol)
    for url in (CREATE, BATCH):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only administrators and managers may create projects." in text_of(
            response
        ) or "只有管理员和项目经理" in text_of(response)
    response = client.post(
        CREATE, {"template": amazon_na.pk, "store_name": "X", "entity": entity.pk}
    )
    assert response.status_code == 403
    assert not StoreProject.objects.exists()


def test_another_organizations_member_gets_404(org, mallory, amazon_na):
    client = client_for(mallory)
    assert client.get(CREATE).status_code == 404
    assert client.get(BATCH).status_code == 404
    assert client.post(BATCH, {"action": "rows", "template": amazon_na.pk}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(org):
    response = Client().get(CREATE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_create_page_costs_a_bounded_number_of_queries(
    as_bob, as_bob_client, amazon_na, entity, carol, django_assert_max_num_queries
):
    many_projects(as_bob, amazon_na, entity)
    with django_assert_max_num_queries(10):
        assert as_bob_client.get(CREATE, {"template": amazon_na.pk}).status_code == 200


# --- pasted rows -------------------------------------------------------------------------------


def test_pasted_lines_skip_a_header_and_keep_quoted_cells():
    text = (
        "店铺名称\t站点\t主体\t负责人\r\n"
        "Xinghe US\tamazon-us\t深圳市星河\tBob\r\n"
        '\n"Tab\tStore"\t亚马逊加拿大站\r\n'
        "Only a name\n"
    )
    rows = parse_pasted_rows(text)
    assert [(r.store_name, r.site, r.entity, r.manager) for r in rows] == [
        ("Xinghe US", "amazon-us", "深圳市星河", "Bob"),
        ("Tab\tStore", "亚马逊加拿大站", "", ""),
        ("Only a name", "", "", ""),
    ]
    assert parse_pasted_rows("Store name\tSite\nA\tamazon-us")[0].store_name == "A"


def test_names_are_matched_in_chinese_and_english(org, entity, bob, catalog):
    from linkstar.accounts.models import Membership
    from linkstar.catalog.models import Site

    resolver = RowResolver(
        sites=Site.objects.all(),
        entities=SellerEntity.objects.filter(organization=org),
        memberships=Membership.objects.filter(organization=org).select_related("user"),
    )
    for site, entity_name, manager in (
        ("亚马逊加拿大站", "深圳市星河跨境电子商务有限公司", "Bob"),
        ("Amazon Canada", "shenzhen  xinghe", "BOB@example.com"),
        ("AMAZON-CA", entity.name, "bob"),
    ):
        row = parse_pasted_rows(f"S\t{site}\t{entity_name}\t{manager}")[0]
        assert resolver.resolve(row) == {
            "store_name": "S",
            "site": "amazon-ca",
            "entity_id": entity.pk,
            "manager_id": bob.pk,
        }
        assert not row.errors
    row = parse_pasted_rows("S\tmars-1\tNobody Ltd\tzed")[0]
    assert resolver.resolve(row)["entity_id"] is None
    assert set(row.errors) == {"site", "entity", "manager"}


# --- the service's dry run -------------------------------------------------------------------


def test_the_dry_run_refuses_what_creation_refuses_and_writes_nothing(
    as_bob, amazon_na, entity, project
):
    def rows():
        return [
            ProjectRow(store_name="Fine", entity_id=entity.pk),
            ProjectRow(store_name=project.store_name, entity_id=entity.pk),
            ProjectRow(store_name="", entity_id=None, site="amazon-de"),
        ]

    before = (StoreProject.objects.count(), Task.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as dry:
        validate_projects_batch(actor=as_bob, template_id=amazon_na.pk, rows=rows())
    with pytest.raises(InvalidInput) as real:
        create_projects_batch(actor=as_bob, template_id=amazon_na.pk, rows=rows())
    assert [e.as_dict() for e in dry.value.errors] == [e.as_dict() for e in real.value.errors]
    assert {(e.row, e.field) for e in dry.value.errors} == {
        (1, "store_name"),
        (2, "store_name"),
        (2, "site"),
        (2, "entity_id"),
    }
    after = (StoreProject.objects.count(), Task.objects.count(), AuditEvent.objects.count())
    assert before == after


def test_the_dry_run_of_good_rows_passes_and_still_writes_nothing(as_bob, amazon_na, entity):
    version = validate_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name="A", entity_id=entity.pk)],
    )
    assert version.template_id == amazon_na.pk
    assert not StoreProject.objects.exists()


def test_the_dry_run_checks_permission(org, carol, amazon_na, entity):
    from linkstar.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        validate_projects_batch(
            actor=actor_of(org, carol),
            template_id=amazon_na.pk,
            rows=[ProjectRow(store_name="A", entity_id=entity.pk)],
        )


# --- the batch wizard -------------------------------------------------------------------------


def test_step_one_preselects_the_template_and_today(as_bob_client, org, amazon_na, entity):
    response = as_bob_client.get(BATCH, {"template": amazon_na.pk})
    assert response.status_code == 200
    html = text_of(response)
    assert 'data-step="1"' in html
    assert f'<option value="{amazon_na.pk}" selected>' in html
    assert f'value="{org_today(org).isoformat()}"' in html


def test_step_one_needs_a_template(as_bob_client, org, entity):
    response = as_bob_client.post(BATCH, {"action": "rows", "template": ""})
    assert 'data-step="1"' in text_of(response)
    assert field_errors(text_of(response), "template")


def test_step_two_starts_with_blank_rows_and_carries_step_one(
    as_bob_client, org, amazon_na, entity, carol
):
    response = as_bob_client.post(BATCH, wizard(amazon_na, members=[carol.pk], action="rows"))
    html = text_of(response)
    assert 'id="batch-rows" data-step="2"' in html
    assert row_inputs(html) == ["", "", ""]
    assert f'<input type="hidden" name="template" value="{amazon_na.pk}">' in html
    assert f'<input type="hidden" name="members" value="{carol.pk}">' in html
    assert '<input type="hidden" name="start_date" value="2026-11-02">' in html


def test_rows_are_added_and_removed_without_script(as_bob_client, org, amazon_na, entity):
    rows = [("A", "", "", ""), ("B", "", "", "")]
    html = text_of(as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="add_row")))
    assert row_inputs(html) == ["A", "B", ""]
    html = text_of(as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="remove:0")))
    assert row_inputs(html) == ["B"]


def test_pasted_lines_fill_the_table(as_bob_client, org, amazon_na, entity, bob):
    paste = "店铺名称\t站点\t主体\t负责人\nXinghe US\tamazon-us\t深圳市星河跨境电子商务有限公司\tBob\nXinghe CA\t亚马逊加拿大站\tShenzhen Xinghe\t"
    rows = [("Typed", "", "", ""), ("", "", "", "")]
    html = text_of(
        as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="paste", paste=paste))
    )
    assert row_inputs(html) == ["Typed", "Xinghe US", "Xinghe CA"]
    assert 'value="亚马逊加拿大站"' in html


def test_the_preview_shows_each_rows_errors_on_the_row_and_creates_nothing(
    as_bob_client, org, amazon_na, entity, project
):
    rows = [
        ("Good One", "amazon-us", entity.name, ""),
        ("Bad Entity", "amazon-us", "不存在的公司", ""),
        (project.store_name, "", "Shenzhen Xinghe", ""),
        ("Twice", "amazon-ca", entity.name, ""),
        ("Twice", "亚马逊加拿大站", entity.name, "carol"),
        ("", "", "", ""),
    ]
    before = StoreProject.objects.count()
    response = as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="preview"))
    assert response.status_code == 422
    html = text_of(response)
    assert 'id="batch-rows" data-step="3"' in html
    table_rows = re.findall(r"<tr data-row.*?</tr>", html[html.index("<tbody>") :], re.S)[:5]
    assert len(row_inputs(html)) == 5  # the blank row is dropped
    assert "ls-row-ok" in table_rows[0] and "invalid-feedback" not in table_rows[0]
    assert "不存在的公司" in table_rows[1] and "is-invalid" in table_rows[1]
    assert re.search(r'name="row_entity"[^>]*is-invalid', table_rows[1])
    assert re.search(r'name="row_store_name"[^>]*is-invalid', table_rows[2])
    assert "ls-row-ok" in table_rows[3]
    assert re.search(r'name="row_store_name"[^>]*is-invalid', table_rows[4])
    assert re.search(r'name="row_manager"[^>]*is-invalid', table_rows[4])  # carol: an operator
    assert (
        'id="batch-create" data-recheck' in html
        and "disabled>" in html.split('id="batch-create"')[1][:200]
    )
    assert StoreProject.objects.count() == before


def test_a_clean_preview_then_create_lists_the_new_projects(
    as_bob_client, org, amazon_na, entity, entity_yunfan, bob, carol
):
    rows = [
        ("Xinghe US", "amazon-us", entity.name, ""),
        ("Xinghe CA", "亚马逊加拿大站", "Shenzhen Xinghe", "Bob"),
        ("Yunfan MX", "Amazon Mexico", entity_yunfan.name, "bob@example.com"),
    ]
    data = wizard(amazon_na, rows=rows, members=[carol.pk], action="preview")
    response = as_bob_client.post(BATCH, data)
    assert response.status_code == 200
    html = text_of(response)
    assert html.count('<tr data-row class="ls-row-ok"') == 3
    assert "disabled" not in html.split('id="batch-create"')[1].split(">")[0]
    assert not StoreProject.objects.exists()

    response = as_bob_client.post(BATCH, {**data, "action": "create"})
    assert response.status_code == 302
    created = list(StoreProject.objects.order_by("id"))
    assert [p.code for p in created] == ["AMZ-US-0001", "AMZ-CA-0001", "AMZ-MX-0001"]
    assert all(p.manager == bob and list(p.members.all()) == [carol] for p in created)
    assert {p.start_date for p in created} == {PROJECT_START}
    assert response["Location"] == BATCH + "?done=" + ",".join(str(p.pk) for p in created)

    html = text_of(as_bob_client.get(response["Location"]))
    for p in created:
        assert f'href="/o/acme/projects/{p.pk}/">{p.code}</a>' in html


def test_create_rechecks_the_rows_and_shows_the_preview_when_one_went_bad(
    as_bob_client, as_bob, org, amazon_na, entity
):
    rows = [("Late", "", entity.name, ""), ("Unknown", "", "Nope Ltd", "")]
    response = as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="create"))
    assert response.status_code == 422
    assert 'data-step="3"' in text_of(response)
    assert not StoreProject.objects.exists()


def test_back_to_step_one_keeps_the_rows(as_bob_client, org, amazon_na, entity):
    rows = [("Kept", "amazon-ca", entity.name, "")]
    html = text_of(as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="back")))
    assert 'id="batch-start-form"' in html
    assert '<input type="hidden" name="row_store_name" value="Kept">' in html
    html = text_of(as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="rows")))
    assert row_inputs(html)[0] == "Kept"


def test_a_preview_without_rows_says_so(as_bob_client, org, amazon_na, entity):
    response = as_bob_client.post(
        BATCH, wizard(amazon_na, rows=[("", "", "", "")], action="preview")
    )
    assert 'id="batch-errors"' in text_of(response)


def test_the_done_page_shows_only_projects_the_actor_may_see(
    org, as_bob, amazon_na, entity, other_org, mallory
):
    from linkstar.entities.services import create_entity
    from linkstar.projects.services import create_project

    evil = actor_of(other_org, mallory)
    theirs = create_project(
        actor=evil,
        template_id=amazon_na.pk,
        store_name="Secret",
        entity_id=create_entity(actor=evil, name="Evil Ltd").pk,
    )
    client = client_for(as_bob.user)
    html = text_of(client.get(BATCH, {"done": f"{theirs.pk},abc"}))
    assert "Secret" not in html


def test_wizard_steps_cost_a_bounded_number_of_queries(
    as_bob, as_bob_client, amazon_na, entity, django_assert_max_num_queries
):
    many_projects(as_bob, amazon_na, entity)
    rows = [(f"New {i}", "amazon-us", entity.name, "Bob") for i in range(100)]
    with django_assert_max_num_queries(10):
        as_bob_client.get(BATCH)
    with django_assert_max_num_queries(10):
        as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="rows"))
    # the page's 8, the names (and the entities' registration codes), the service's checks, and
    # 6 of the association-risk preview (identifiers, projects sharing them through an entity or
    # a store, the entities' projects on the same sites, the projects named)
    with django_assert_max_num_queries(26):
        response = as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="preview"))
    assert response.status_code == 200
    done = ",".join(str(pk) for pk in StoreProject.objects.values_list("pk", flat=True)[:500])
    with django_assert_max_num_queries(8):
        assert as_bob_client.get(BATCH, {"done": done}).status_code == 200


def test_a_batch_of_the_largest_size_fits_in_one_post(
    as_bob_client, org, amazon_na, entity, settings
):
    rows = [
        (f"Store {i:04d}", "", entity.name, "") for i in range(settings.LINKSTAR_BATCH_MAX_ROWS)
    ]
    response = as_bob_client.post(BATCH, wizard(amazon_na, rows=rows, action="preview"))
    assert response.status_code == 200
    assert len(row_inputs(response.content.decode())) == settings.LINKSTAR_BATCH_MAX_ROWS
