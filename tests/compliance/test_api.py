"""The compliance endpoints: readiness, the override, project and organization risks, and
acknowledging one; answers, refusals and query counts."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.compliance.conftest import GATE_TYPES, START, document, identify, open_store, seller

PHONE = "13800138000"


@pytest.fixture
def pair(as_bob, seller_a, seller_b, gate_template, gated):
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    from linkstar.compliance.services import detect_risks

    other = open_store(as_bob, seller_b, "amazon-us", "B US")
    detect_risks(organization=gated.organization, projects=[gated])
    return gated, other


def test_readiness_answers_items_and_percent(api, carol, gated, seller_a):
    document(seller_a, "business_license")
    r = api(carol).get(f"/orgs/acme/projects/{gated.pk}/readiness")
    assert r.status_code == 200
    body = r.json()
    assert body["project_id"] == gated.pk and body["percent"] == 25
    assert [i["document_type"] for i in body["items"]] == GATE_TYPES
    assert body["items"][0]["status"] == "ok" and body["items"][0]["document_id"]
    assert body["items"][1] == {
        "document_type": "legal_rep_id_front",
        "name": body["items"][1]["name"],
        "status": "missing",
        "document_id": None,
        "expiry_date": None,
        "expiring_soon": False,
    }
    assert body["overridden"] is False and body["override"] is None


def test_the_override_is_answered_and_then_shown_in_readiness(api, bob, gated):
    r = api(bob).post(
        f"/orgs/acme/projects/{gated.pk}/readiness/override", {"reason": "documents follow"}
    )
    assert r.status_code == 201
    override = r.json()
    assert override["reason"] == "documents follow" and override["created_by"] == bob.pk
    assert override["created_by_name"] == "Bob" and override["percent"] == 0
    body = api(bob).get(f"/orgs/acme/projects/{gated.pk}/readiness").json()
    assert body["overridden"] is True and body["override"]["id"] == override["id"]
    stage = api(bob).post(f"/orgs/acme/projects/{gated.pk}/stage", {"stage": "under_review"})
    assert stage.status_code == 200 and stage.json()["stage"] == "under_review"


def test_gates_answer_409_with_their_codes(api, bob, carol, gated, pair):
    r = api(bob).post(f"/orgs/acme/projects/{gated.pk}/stage", {"stage": "under_review"})
    assert r.status_code == 409 and r.json()["code"] == "readiness_incomplete"
    api(bob).post(f"/orgs/acme/projects/{gated.pk}/readiness/override", {"reason": "later"})
    r = api(bob).post(f"/orgs/acme/projects/{gated.pk}/stage", {"stage": "under_review"})
    assert r.status_code == 409 and r.json()["code"] == "association_risk"
    task = gated.tasks.get(key="collect-licence")
    r = api(carol).patch(f"/orgs/acme/tasks/{task.pk}", {"status": "in_progress"})
    r = api(carol).patch(f"/orgs/acme/tasks/{task.pk}", {"status": "done"})
    assert r.status_code == 409 and r.json()["code"] == "documents_missing"


def test_an_override_needs_a_reason_and_the_right_role(api, bob, carol, gated):
    r = api(bob).post(f"/orgs/acme/projects/{gated.pk}/readiness/override", {"reason": " "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = api(bob).post(f"/orgs/acme/projects/{gated.pk}/readiness/override", {})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = api(carol).post(f"/orgs/acme/projects/{gated.pk}/readiness/override", {"reason": "x"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(action="project.readiness_overridden").exists()


def test_project_risks_answer_the_evidence(api, bob, pair):
    gated, other = pair
    r = api(bob).get(f"/orgs/acme/projects/{gated.pk}/risks")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    (risk,) = body["items"]
    assert risk["project_id"] == gated.pk and risk["project_code"] == gated.code
    assert risk["kind"] == "phone" and risk["masked"] == "1380***8000"
    assert risk["other_project_id"] == other.pk
    assert risk["other_project"] == {
        "id": other.pk,
        "code": other.code,
        "store_name": "B US",
        "site": "amazon-us",
    }
    assert risk["status"] == "open" and risk["acknowledged_by"] is None
    assert PHONE not in r.content.decode()
    assert "digest" not in risk


def test_the_other_project_is_named_only_to_who_may_see_it(api, carol, pair):
    """carol is on gated's team but not on the other project: she sees it is linked, not to
    which store."""
    gated, other = pair
    assert not other.members.exists()
    (risk,) = api(carol).get(f"/orgs/acme/projects/{gated.pk}/risks").json()["items"]
    assert risk["other_project"] is None and risk["other_project_id"] is None
    assert other.code not in str(risk)


def test_organization_risks_filter_by_status_kind_and_project(api, bob, frank, pair):
    _gated, other = pair
    client = api(frank)
    assert client.get("/orgs/acme/risks").json()["count"] == 2
    assert client.get("/orgs/acme/risks", status="acknowledged").json()["count"] == 0
    assert client.get("/orgs/acme/risks", kind="email").json()["count"] == 0
    only = client.get("/orgs/acme/risks", project=other.pk).json()["items"]
    assert [r["project_id"] for r in only] == [other.pk]
    r = client.get("/orgs/acme/risks", status="closed")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"


def test_acknowledge_answers_the_risk_and_is_audited(api, bob, pair):
    gated, _other = pair
    risk = AssociationRisk.objects.get(project=gated)
    r = api(bob).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "same account"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "acknowledged" and body["reason"] == "same account"
    assert body["acknowledged_by"] == bob.pk and body["acknowledged_at"]
    assert AuditEvent.objects.filter(action="risk.acknowledged", object_id=str(risk.pk)).exists()
    again = api(bob).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "risk_acknowledged"


@pytest.mark.parametrize("login", ["carol", "dave", "frank"])
def test_roles_without_the_right_get_403(api, login, pair, request):
    gated, _other = pair
    risk = AssociationRisk.objects.get(project=gated)
    user = request.getfixturevalue(login)
    r = api(user).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "fine"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert "关联风险" in r.json()["detail"] or "association" in r.json()["detail"]
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_another_organization_gets_404_everywhere(api, mallory, pair):
    gated, _other = pair
    risk = AssociationRisk.objects.get(project=gated)
    client = api(mallory)
    for path in (
        f"/orgs/acme/projects/{gated.pk}/readiness",
        f"/orgs/acme/projects/{gated.pk}/risks",
        "/orgs/acme/risks",
        f"/orgs/evil/projects/{gated.pk}/readiness",
        f"/orgs/evil/projects/{gated.pk}/risks",
    ):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["code"] == "not_found", path
    r = client.post(f"/orgs/evil/risks/{risk.pk}/acknowledge", {"reason": "mine"})
    assert r.status_code == 404
    assert client.get("/orgs/evil/risks").json() == {"items": [], "count": 0}


def test_a_client_sees_the_risks_of_her_entity_only(api, grace, pair, entity_yunfan, as_bob):
    gated, _other = pair
    r = api(grace).get(f"/orgs/acme/projects/{gated.pk}/risks")
    assert r.status_code == 404
    assert api(grace).get("/orgs/acme/risks").json()["count"] == 0


def test_the_risk_list_costs_a_bounded_number_of_queries(
    api, frank, as_bob, org, amazon_na, django_assert_max_num_queries
):
    entities = [seller(org, f"主体 {i}") for i in range(40)]
    for entity in entities:
        identify(entity, "address", "同一地址 8 号")
    create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=e.pk) for i, e in enumerate(entities)],
        start_date=START,
    )
    assert AssociationRisk.objects.count() > 200
    client = api(frank)
    client.get("/orgs/acme/risks")  # warm up
    with django_assert_max_num_queries(6):
        r = client.get("/orgs/acme/risks", limit=200)
    assert len(r.json()["items"]) == 200
    project_id = r.json()["items"][0]["project_id"]
    with django_assert_max_num_queries(8):
        assert client.get(f"/orgs/acme/projects/{project_id}/risks").status_code == 200
