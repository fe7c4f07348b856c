"""The compliance endpoints: readiness, the override, project and organization risks, and
acknowledging one; answers, refusals and query counts."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.compliance.services import on_identifiers_changed
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.support.compliance import (
    GATE_TYPES,
    START,
    document,
    identify,
    open_store,
    register,
    seller,
)

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
    assert risk["kind"] == "phone" and risk["masked"] == "********000"
    assert risk["other_project_id"] == other.pk
    assert risk["other_project"] == {
        "id": other.pk,
        "code": other.code,
        "store_name": "B US",
        "site": "amazon-us",
    }
    assert risk["status"] == "open" and risk["acknowledged_by"] is None
    assert risk["basis"] == "shared_identifiers" and risk["basis_label"]
    assert risk["identifiers"] == [
        {"kind": "phone", "kind_label": risk["kind_label"], "masked": "********000"}
    ]
    assert risk["close_reason"] == ""
    assert PHONE not in r.content.decode()
    assert "digest" not in risk and "digest" not in str(risk["identifiers"])


def test_the_pair_is_listed_for_both_projects_seen_from_each(api, bob, pair):
    gated, other = pair
    mine = api(bob).get(f"/orgs/acme/projects/{gated.pk}/risks").json()["items"]
    theirs = api(bob).get(f"/orgs/acme/projects/{other.pk}/risks").json()["items"]
    assert len(mine) == len(theirs) == 1 and mine[0]["id"] == theirs[0]["id"]
    assert (mine[0]["project_id"], mine[0]["other_project_id"]) == (gated.pk, other.pk)
    assert (theirs[0]["project_id"], theirs[0]["other_project_id"]) == (other.pk, gated.pk)
    assert theirs[0]["project_code"] == other.code
    assert theirs[0]["other_project"]["code"] == gated.code


def test_the_other_project_is_named_only_to_who_may_see_it(api, carol, pair):
    """carol is on gated's team but not on the other project: she sees it is linked, not to
    which store."""
    gated, other = pair
    assert not other.members.exists()
    (risk,) = api(carol).get(f"/orgs/acme/projects/{gated.pk}/risks").json()["items"]
    assert risk["other_project"] is None and risk["other_project_id"] is None
    assert other.code not in str(risk)


def test_organization_risks_filter_by_status_kind_and_project(
    api, bob, frank, pair, seller_a, seller_b
):
    gated, other = pair
    client = api(frank)
    assert client.get("/orgs/acme/risks").json()["count"] == 1
    assert client.get("/orgs/acme/risks", status="acknowledged").json()["count"] == 0
    assert client.get("/orgs/acme/risks", status="closed").json()["count"] == 0
    assert client.get("/orgs/acme/risks", kind="email").json()["count"] == 0
    assert client.get("/orgs/acme/risks", kind="phone").json()["count"] == 1
    for project in (gated, other):  # the pair from either side
        (only,) = client.get("/orgs/acme/risks", project=project.pk).json()["items"]
        assert only["project_id"] in (gated.pk, other.pk)
    # a second shared identifier: the kind filter matches any of the pair's identifiers
    identify(seller_a, "email", "boss@example.com")
    identify(seller_b, "email", "boss@example.com")
    on_identifiers_changed(seller_b)
    (risk,) = client.get("/orgs/acme/risks", kind="email").json()["items"]
    assert sorted(i["kind"] for i in risk["identifiers"]) == ["email", "phone"]
    assert client.get("/orgs/acme/risks", kind="phone").json()["count"] == 1
    assert client.get("/orgs/acme/risks", kind="address").json()["count"] == 0
    r = client.get("/orgs/acme/risks", status="gone")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"


def test_a_risk_that_no_longer_holds_is_listed_as_closed(api, frank, pair, seller_b):
    gated, _other = pair
    seller_b.identifiers.all().delete()
    on_identifiers_changed(seller_b)
    client = api(frank)
    assert client.get("/orgs/acme/risks").json()["count"] == 1  # every status by default
    assert client.get("/orgs/acme/risks", status="open").json()["count"] == 0
    (risk,) = client.get("/orgs/acme/risks", status="closed").json()["items"]
    assert risk["status"] == "closed" and risk["close_reason"] == "identifiers_changed"
    (mine,) = client.get(f"/orgs/acme/projects/{gated.pk}/risks", status="closed").json()["items"]
    assert mine["id"] == risk["id"]


def test_a_second_account_is_answered_without_identifiers(api, bob, as_bob, seller_a):
    first = open_store(as_bob, seller_a, "shopee-my", "A MY")
    second = open_store(as_bob, seller_a, "shopee-my", "A MY 2")
    (risk,) = api(bob).get(f"/orgs/acme/projects/{second.pk}/risks").json()["items"]
    assert risk["basis"] == "second_account" and risk["identifiers"] == []
    assert risk["basis_label"] and risk["masked"] == ""
    assert (risk["project_id"], risk["other_project_id"]) == (second.pk, first.pk)


def test_registration_identifiers_are_answered_with_their_labels(
    api, bob, as_bob, seller_a, seller_b
):
    from linkstar.compliance.services import detect_risks

    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-de", "B DE")  # Amazon links across scopes
    register(first, "ip_address", "203.0.113.7")
    register(second, "ip_address", "203.0.113.7")
    detect_risks(organization=first.organization, projects=[first, second])
    (risk,) = api(bob).get(f"/orgs/acme/projects/{first.pk}/risks").json()["items"]
    (identifier,) = risk["identifiers"]
    assert identifier["kind"] == "ip_address" and identifier["kind_label"] != "ip_address"
    assert "203.0.113.7" not in str(risk)


def test_acknowledge_answers_the_risk_and_is_audited(api, bob, pair):
    gated, _other = pair
    risk = AssociationRisk.objects.get(project=gated)
    assert risk.other_project_id == _other.pk
    r = api(bob).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "same account"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "acknowledged" and body["reason"] == "same account"
    assert body["acknowledged_by"] == bob.pk and body["acknowledged_at"]
    assert AuditEvent.objects.filter(action="risk.acknowledged", object_id=str(risk.pk)).exists()
    again = api(bob).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "risk_acknowledged"


def test_acknowledge_a_closed_risk_is_409(api, bob, pair, seller_b):
    seller_b.identifiers.all().delete()
    on_identifiers_changed(seller_b)
    risk = AssociationRisk.objects.get()
    r = api(bob).post(f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "late"})
    assert r.status_code == 409 and r.json()["code"] == "risk_closed"


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


# --- several at once -------------------------------------------------------------------------


@pytest.fixture
def three(as_bob, org, seller_a):
    """seller_a's US store shares one identifier each with three other entities' stores."""
    shared = [("phone", PHONE), ("email", "boss@example.com"), ("address", "同一地址 9 号")]
    for kind, value in shared:
        identify(seller_a, kind, value)
    open_store(as_bob, seller_a, "amazon-us", "A US")
    for i, (kind, value) in enumerate(shared):
        entity = seller(org, f"其他主体 {i}")
        identify(entity, kind, value)
        open_store(as_bob, entity, "amazon-us", f"O{i} US")
    risks = list(AssociationRisk.objects.order_by("pk"))
    assert len(risks) == 3
    return risks


def test_several_risks_are_acknowledged_in_one_request(api, bob, three):
    ids = [r.pk for r in three]
    r = api(bob).post("/orgs/acme/risks/acknowledge", {"risk_ids": ids, "reason": "one client"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3 and sorted(i["id"] for i in body["items"]) == ids
    for item in body["items"]:
        assert item["status"] == "acknowledged" and item["reason"] == "one client"
        assert item["acknowledged_by"] == bob.pk
    events = AuditEvent.objects.filter(action="risk.acknowledged")
    assert sorted(int(e.object_id) for e in events) == ids
    again = api(bob).post("/orgs/acme/risks/acknowledge", {"risk_ids": ids[:1], "reason": "x"})
    assert again.status_code == 409 and again.json()["code"] == "risk_acknowledged"


def test_several_at_once_is_all_or_nothing(api, bob, carol, three, mallory):
    ids = [r.pk for r in three]
    client = api(bob)
    # a risk the caller cannot see
    r = client.post("/orgs/acme/risks/acknowledge", {"risk_ids": [*ids, 99999], "reason": "x"})
    assert r.status_code == 404 and "99999" in r.json()["detail"]
    # a risk that no longer holds
    entity = AssociationRisk.objects.get(pk=ids[2]).other_project.entity
    entity.identifiers.all().delete()
    on_identifiers_changed(entity)
    r = client.post("/orgs/acme/risks/acknowledge", {"risk_ids": ids, "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "risk_closed"
    # a caller who may not accept them: 403 naming the pair
    project = AssociationRisk.objects.get(pk=ids[0]).project
    project.members.add(carol)
    r = api(carol).post("/orgs/acme/risks/acknowledge", {"risk_ids": ids[:2], "reason": "x"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert project.code in r.json()["detail"]
    # nothing chosen, no reason
    r = client.post("/orgs/acme/risks/acknowledge", {"risk_ids": [], "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "risk_ids"
    r = client.post("/orgs/acme/risks/acknowledge", {"risk_ids": ids[:2], "reason": " "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    # another organization
    r = api(mallory).post("/orgs/acme/risks/acknowledge", {"risk_ids": ids[:2], "reason": "x"})
    assert r.status_code == 404
    r = api(mallory).post("/orgs/evil/risks/acknowledge", {"risk_ids": ids[:2], "reason": "x"})
    assert r.status_code == 404
    assert set(AssociationRisk.objects.values_list("status", flat=True)) == {"open", "closed"}
    assert not AuditEvent.objects.filter(action="risk.acknowledged").exists()


def test_a_member_of_the_second_project_only_sees_the_pair_from_its_side(
    api, carol, as_bob, seller_a, seller_b
):
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    second.members.add(carol)
    (risk,) = api(carol).get("/orgs/acme/risks").json()["items"]
    assert risk["project_id"] == second.pk and risk["project_code"] == second.code
    assert risk["other_project_id"] is None and risk["other_project"] is None
    assert first.code not in str(risk)
    (mine,) = api(carol).get(f"/orgs/acme/projects/{second.pk}/risks").json()["items"]
    assert mine == risk
    assert api(carol).get(f"/orgs/acme/projects/{first.pk}/risks").status_code == 404


def test_a_refusal_does_not_name_a_project_the_caller_may_not_see(
    api, carol, as_bob, seller_a, seller_b
):
    """carol (an operator on the second store's team only) may not accept the pair; the 403
    names her store, never the first one (the other project is named only to who may see it)."""
    identify(seller_a, "phone", PHONE)
    identify(seller_b, "phone", PHONE)
    first = open_store(as_bob, seller_a, "amazon-us", "A US")
    second = open_store(as_bob, seller_b, "amazon-us", "B US")
    second.members.add(carol)
    risk = AssociationRisk.objects.get()
    for path, body in (
        (f"/orgs/acme/risks/{risk.pk}/acknowledge", {"reason": "fine"}),
        ("/orgs/acme/risks/acknowledge", {"risk_ids": [risk.pk], "reason": "fine"}),
    ):
        r = api(carol).post(path, body)
        assert r.status_code == 403, path
        assert first.code not in r.json()["detail"], path
