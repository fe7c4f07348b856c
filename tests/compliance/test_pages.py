"""The compliance pages: the readiness and risk cards of the project page, the readiness page,
the organization's risk page; forms post to the same services as the API."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, ReadinessOverride, RiskStatus
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.support.compliance import START, document, identify, open_store, seller
from tests.support.pages import HTMX


def client_for(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def linked(as_bob, seller_a, seller_b, gated, carol):
    """gated shares a phone with another US store of bob's (carol is on both teams)."""
    from linkstar.compliance.services import detect_risks

    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    other = open_store(as_bob, seller_b, "amazon-us", "B US")
    other.members.add(carol)
    detect_risks(organization=gated.organization, projects=[gated])
    return other


def test_the_project_page_loads_both_cards_and_the_nav_has_the_risk_page(bob, gated):
    page = html(client_for(bob).get(f"/o/acme/projects/{gated.pk}/"))
    assert f'hx-get="/o/acme/projects/{gated.pk}/readiness/card/"' in page
    assert f'hx-get="/o/acme/projects/{gated.pk}/risks/card/"' in page
    assert 'data-nav="risks" href="/o/acme/risks/"' in page
    assert "关联风险" in page


def test_the_readiness_card_lists_the_gaps_and_offers_the_manager_an_override(
    bob, carol, gated, seller_a
):
    document(seller_a, "business_license")
    url = f"/o/acme/projects/{gated.pk}/readiness/card/"
    card = html(client_for(bob).get(url, **HTMX))
    assert 'data-percent="25"' in card
    assert card.count("data-document-type=") == 3  # the gaps only
    assert 'data-status="missing"' in card and 'id="readiness-blocks"' in card
    assert 'id="readiness-override-form"' in card
    assert 'id="readiness-override-form"' not in html(client_for(carol).get(url, **HTMX))


def test_overriding_from_the_card_records_it_and_shows_who_when_why(bob, gated):
    response = client_for(bob, "en").post(
        f"/o/acme/projects/{gated.pk}/readiness/override/",
        {"reason": "documents follow by courier"},
        **HTMX,
    )
    assert response.status_code == 200
    card = html(response)
    assert 'data-overridden="true"' in card and 'id="readiness-override"' in card
    assert "Bob" in card and "documents follow by courier" in card
    assert 'id="readiness-override-form"' not in card
    assert ReadinessOverride.objects.filter(project=gated).count() == 1
    assert AuditEvent.objects.filter(action="project.readiness_overridden").count() == 1


def test_an_override_without_reason_is_refused_with_the_reason(bob, gated):
    response = client_for(bob).post(
        f"/o/acme/projects/{gated.pk}/readiness/override/", {"reason": ""}, **HTMX
    )
    assert response.status_code == 422
    assert response["X-LinkStar-Error"] == "invalid"
    assert not ReadinessOverride.objects.exists()


def test_an_operator_posting_an_override_is_told_why(carol, gated):
    response = client_for(carol).post(
        f"/o/acme/projects/{gated.pk}/readiness/override/", {"reason": "x"}, **HTMX
    )
    assert response.status_code == 403 and "豁免" in response.content.decode()


def test_the_readiness_page_lists_every_item_and_the_overrides(bob, gated, seller_a, as_bob):
    from linkstar.compliance.services import override_readiness

    doc = document(seller_a, "business_license")
    override_readiness(actor=as_bob, project=gated, reason="the bureau has the original")
    page = html(client_for(bob).get(f"/o/acme/projects/{gated.pk}/readiness/"))
    assert page.count('<tr data-document-type="') == 4
    assert f"/o/acme/documents/{doc.pk}/" in page
    assert "the bureau has the original" in page and 'id="override-list"' in page
    assert 'id="readiness-percent"' in page


def test_the_stage_button_answers_the_gate_in_words(bob, gated):
    client = client_for(bob, "en")
    response = client.post(
        f"/o/acme/projects/{gated.pk}/stage/",
        {"stage": "under_review", "version": gated.version},
        **HTMX,
    )
    assert response.status_code == 409
    assert response["X-LinkStar-Error"] == "readiness_incomplete"
    assert "document readiness is 0 %" in response.content.decode()


def test_the_risk_card_shows_the_evidence_and_the_manager_acknowledges(bob, gated, linked):
    url = f"/o/acme/projects/{gated.pk}/risks/card/"
    card = html(client_for(bob).get(url, **HTMX))
    assert 'data-open="1"' in card and 'data-status="open"' in card
    assert "********000" in card and "13800138000" not in card
    assert linked.code in card and f'data-other-project="{linked.pk}"' in card
    risk = AssociationRisk.objects.get(project=gated)
    response = client_for(bob).post(
        f"/o/acme/risks/{risk.pk}/acknowledge/",
        {"reason": "the phone is being replaced", "card": "1"},
        **HTMX,
    )
    assert response.status_code == 200
    card = html(response)
    assert 'data-open="0"' in card and 'data-status="acknowledged"' in card
    assert "the phone is being replaced" in card
    risk.refresh_from_db()
    assert risk.status == RiskStatus.ACKNOWLEDGED
    assert AuditEvent.objects.filter(action="risk.acknowledged").count() == 1


def test_an_operator_sees_risks_without_the_acknowledge_form(carol, gated, linked):
    card = html(client_for(carol).get(f"/o/acme/projects/{gated.pk}/risks/card/", **HTMX))
    assert 'data-status="open"' in card and "ls-ack-form" not in card


def test_a_project_without_risks_says_so(bob, gated):
    card = html(client_for(bob).get(f"/o/acme/projects/{gated.pk}/risks/card/", **HTMX))
    assert 'id="risks-none"' in card


def test_the_risk_page_lists_filters_and_acknowledges(bob, frank, gated, linked):
    client = client_for(bob)
    page = html(client.get("/o/acme/risks/"))
    assert page.count("<tr data-risk-id=") == 1 and page.count("ls-ack-form") == 1  # one pair
    assert 'data-section="risks"' in page
    assert "********000" in page and "13800138000" not in page
    assert html(client.get("/o/acme/risks/", {"kind": "email"})).count("<tr data-risk-id=") == 0
    assert html(client.get("/o/acme/risks/", {"kind": "phone"})).count("<tr data-risk-id=") == 1
    for project in (gated, linked):  # the pair from either side
        one = html(client.get("/o/acme/risks/", {"project": project.pk}))
        assert one.count("<tr data-risk-id=") == 1
    risk = AssociationRisk.objects.get(project=gated, other_project=linked)
    response = client.post(
        f"/o/acme/risks/{risk.pk}/acknowledge/",
        {"reason": "a site of the same unified account", "next": "/o/acme/risks/"},
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/risks/"
    page = html(client.get("/o/acme/risks/", {"status": "acknowledged"}))
    assert page.count("<tr data-risk-id=") == 1 and "a site of the same unified account" in page
    assert html(client.get("/o/acme/risks/")).count("<tr data-risk-id=") == 0  # none open
    auditor = html(client_for(frank).get("/o/acme/risks/", {"status": "all"}))
    assert auditor.count("<tr data-risk-id=") == 1 and "ls-ack-form" not in auditor
    assert 'id="bulk-ack"' not in auditor and 'name="risk_ids"' not in auditor


def test_the_risk_page_has_a_tab_for_risks_that_no_longer_hold(bob, gated, linked, seller_b):
    from linkstar.compliance.services import on_identifiers_changed

    seller_b.identifiers.all().delete()
    on_identifiers_changed(seller_b)
    client = client_for(bob)
    page = html(client.get("/o/acme/risks/"))
    assert 'data-tab="closed"' in page and "已不成立" in page
    assert page.count("<tr data-risk-id=") == 0
    closed = html(client.get("/o/acme/risks/", {"status": "closed"}))
    assert closed.count("<tr data-risk-id=") == 1 and 'data-status="closed"' in closed
    assert "标识已不再相同" in closed  # the close reason
    assert "ls-ack-form" not in closed and 'name="risk_ids"' not in closed
    # the project's card lists it no more
    card = html(client.get(f"/o/acme/projects/{gated.pk}/risks/card/", **HTMX))
    assert 'id="risks-none"' in card and 'data-open="0"' in card


def test_the_risk_card_of_the_second_project_shows_the_pair_from_its_side(bob, gated, linked):
    risk = AssociationRisk.objects.get()
    assert (risk.project_id, risk.other_project_id) == (gated.pk, linked.pk)
    client = client_for(bob)
    card = html(client.get(f"/o/acme/projects/{linked.pk}/risks/card/", **HTMX))
    assert 'data-open="1"' in card and f'data-other-project="{gated.pk}"' in card
    assert gated.code in card and "********000" in card
    response = client.post(
        f"/o/acme/risks/{risk.pk}/acknowledge/",
        {"reason": "the client's decision", "card": str(linked.pk)},
        **HTMX,
    )
    assert response.status_code == 200
    card = html(response)
    assert 'data-open="0"' in card and f'data-other-project="{gated.pk}"' in card
    gated_card = html(client.get(f"/o/acme/projects/{gated.pk}/risks/card/", **HTMX))
    assert 'data-open="0"' in gated_card and 'data-status="acknowledged"' in gated_card


@pytest.fixture
def three(as_bob, org, seller_a):
    """seller_a's US store shares one identifier each with three other entities' stores."""
    shared = [("phone", "13800138000"), ("email", "boss@example.com"), ("address", "同一 9 号")]
    for kind, value in shared:
        identify(seller_a, kind, value)
    open_store(as_bob, seller_a, "amazon-us", "A US")
    for i, (kind, value) in enumerate(shared):
        entity = seller(org, f"其他主体 {i}")
        identify(entity, kind, value)
        open_store(as_bob, entity, "amazon-us", f"O{i} US")
    return list(AssociationRisk.objects.order_by("pk"))


def test_the_risk_page_acknowledges_the_ticked_risks_with_one_reason(bob, three):
    client = client_for(bob)
    page = html(client.get("/o/acme/risks/"))
    assert 'id="bulk-ack"' in page and 'action="/o/acme/risks/acknowledge/"' in page
    assert page.count('name="risk_ids"') == 3 and page.count('form="bulk-ack"') == 3
    assert 'name="reason"' in page.split('id="bulk-ack"')[1].split("</form>")[0]
    ticked = [three[0].pk, three[2].pk]
    response = client.post(
        "/o/acme/risks/acknowledge/",
        {"risk_ids": ticked, "reason": "one client, one phone line", "next": "/o/acme/risks/"},
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/risks/"
    assert sorted(
        AssociationRisk.objects.filter(status=RiskStatus.ACKNOWLEDGED).values_list("pk", flat=True)
    ) == sorted(ticked)
    events = AuditEvent.objects.filter(action="risk.acknowledged")
    assert sorted(int(e.object_id) for e in events) == sorted(ticked)
    page = html(client.get("/o/acme/risks/"))
    assert "已确认 2 条关联风险" in page
    assert page.count("<tr data-risk-id=") == 1 and page.count('name="risk_ids"') == 1


def test_the_bulk_form_is_all_or_nothing(bob, three):
    from linkstar.compliance.services import on_identifiers_changed

    entity = three[2].other_project.entity
    entity.identifiers.all().delete()
    on_identifiers_changed(entity)
    client = client_for(bob)
    response = client.post(
        "/o/acme/risks/acknowledge/",
        {"risk_ids": [r.pk for r in three], "reason": "all of them"},
        **HTMX,
    )
    assert response.status_code == 409 and response["X-LinkStar-Error"] == "risk_closed"
    response = client.post(
        "/o/acme/risks/acknowledge/", {"risk_ids": [three[0].pk], "reason": ""}, **HTMX
    )
    assert response.status_code == 422
    assert not AssociationRisk.objects.filter(status=RiskStatus.ACKNOWLEDGED).exists()
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()


def test_an_operator_gets_no_bulk_form(carol, three):
    for risk in three:
        risk.project.members.add(carol)
    page = html(client_for(carol).get("/o/acme/risks/"))
    assert page.count("<tr data-risk-id=") == 3
    assert 'id="bulk-ack"' not in page and 'name="risk_ids"' not in page
    response = client_for(carol).post(
        "/o/acme/risks/acknowledge/", {"risk_ids": [three[0].pk], "reason": "x"}, **HTMX
    )
    assert response.status_code == 403


def test_other_organizations_and_other_entities_get_404(mallory, grace, gated, linked):
    risk = AssociationRisk.objects.get(project=gated)
    evil = client_for(mallory)
    for url in (
        "/o/acme/risks/",
        f"/o/acme/projects/{gated.pk}/readiness/",
        f"/o/acme/projects/{gated.pk}/risks/card/",
        f"/o/evil/projects/{gated.pk}/readiness/",
        f"/o/evil/projects/{gated.pk}/readiness/card/",
    ):
        assert evil.get(url).status_code == 404, url
    assert evil.post(f"/o/evil/risks/{risk.pk}/acknowledge/", {"reason": "x"}).status_code == 404
    client = client_for(grace)
    assert client.get(f"/o/acme/projects/{gated.pk}/readiness/").status_code == 404
    assert html(client.get("/o/acme/risks/")).count("<tr data-risk-id=") == 0


def test_the_risk_page_costs_a_bounded_number_of_queries(
    bob, as_bob, org, amazon_na, django_assert_max_num_queries
):
    entities = [seller(org, f"主体 {i}") for i in range(30)]
    for entity in entities:
        identify(entity, "email", "shared@example.com")
    create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=e.pk) for i, e in enumerate(entities)],
        start_date=START,
    )
    client = client_for(bob)
    client.get("/o/acme/risks/")
    with django_assert_max_num_queries(10):
        page = html(client.get("/o/acme/risks/", {"status": "all"}))
    assert page.count("<tr data-risk-id=") == 50
    project = entities[0].projects.get()
    with django_assert_max_num_queries(12):
        client.get(f"/o/acme/projects/{project.pk}/risks/card/", **HTMX)
    with django_assert_max_num_queries(12):
        client.get(f"/o/acme/projects/{project.pk}/readiness/card/", **HTMX)


def test_a_member_of_the_second_project_only_sees_the_pair_from_its_side(
    carol, as_bob, seller_a, seller_b
):
    identify(seller_a, "phone", "13800138000")
    identify(seller_b, "phone", "13800138000")
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    second.members.add(carol)
    page = html(client_for(carol).get("/o/acme/risks/"))
    assert page.count("<tr data-risk-id=") == 1
    assert second.code in page and first.code not in page
    card = html(client_for(carol).get(f"/o/acme/projects/{second.pk}/risks/card/", **HTMX))
    assert 'data-open="1"' in card and first.code not in card
    assert "data-other-project=" not in card
