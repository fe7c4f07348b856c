"""GET /orgs/{org}/audit and /orgs/{org}/audit/verify: admins and auditors only."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from linkstar.audit.models import AuditEvent


def acme_events(org):
    return AuditEvent.objects.filter(organization=org)


def test_admin_lists_the_events_newest_first(api, org, alice, project):
    r = api(alice).get("/orgs/acme/audit")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == acme_events(org).count() == 6
    items = body["items"]
    assert [i["id"] for i in items] == list(
        acme_events(org).order_by("-seq").values_list("pk", flat=True)
    )
    newest = items[0]
    assert {"id", "at", "actor", "action", "object_type", "object_id", "changes"} <= set(newest)
    assert newest["action"] == "project.created"
    assert newest["actor"] == "bob@example.com"
    assert newest["object_id"] == str(project.pk)
    assert newest["changes"]["code"] == {"before": None, "after": "AMZ-US-0001"}


def test_auditor_reads_the_log(api, org, frank, project):
    r = api(frank).get("/orgs/acme/audit", limit=2)
    assert r.status_code == 200
    assert r.json()["count"] == acme_events(org).count()
    assert len(r.json()["items"]) == 2


def test_filters_by_object(api, org, alice, project):
    r = api(alice).get("/orgs/acme/audit", object_type="storeproject", object_id=project.pk)
    assert r.status_code == 200
    assert [(i["action"], i["object_id"]) for i in r.json()["items"]] == [
        ("project.created", str(project.pk))
    ]


def test_filters_by_actor(api, org, alice, bob, project):
    r = api(alice).get("/orgs/acme/audit", actor=bob.pk)
    assert r.status_code == 200
    items = r.json()["items"]
    assert items
    assert {i["actor"] for i in items} == {"bob@example.com"}
    assert r.json()["count"] == acme_events(org).filter(actor=bob).count()


def test_filters_by_action(api, org, alice, project):
    r = api(alice).get("/orgs/acme/audit", action="member.added")
    assert r.status_code == 200
    assert r.json()["count"] == 3  # alice (owner), bob, carol
    assert {i["action"] for i in r.json()["items"]} == {"member.added"}
    r = api(alice).get("/orgs/acme/audit", action="nothing.happened")
    assert r.json() == {"items": [], "count": 0}


def test_a_write_through_the_api_records_the_client_ip(api, org, alice):
    r = api(alice).post("/orgs/acme/entities", {"name": "杭州云帆贸易有限公司"})
    assert r.status_code == 201, r.content
    event = acme_events(org).order_by("-seq").first()
    assert (event.action, event.object_id) == ("entity.created", str(r.json()["id"]))
    assert event.actor_id == alice.pk
    assert event.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("carol", "/orgs/acme/audit"),
        ("carol", "/orgs/acme/audit/verify"),
        ("bob", "/orgs/acme/audit"),
        ("dave", "/orgs/acme/audit/verify"),
    ],
    ids=["operator-list", "operator-verify", "manager-list", "reviewer-verify"],
)
def test_other_roles_may_not_read_the_log(api, request, org, who, path):
    user = request.getfixturevalue(who)
    r = api(user).get(path)
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"


@pytest.mark.parametrize("path", ["/orgs/acme/audit", "/orgs/acme/audit/verify"])
def test_another_organizations_admin_gets_404(api, org, mallory, path):
    assert api(mallory).get(path).status_code == 404


@pytest.mark.parametrize("path", ["/orgs/acme/audit", "/orgs/acme/audit/verify"])
def test_anonymous_gets_401(api, org, path):
    assert api().get(path).status_code == 401


def test_verify_before_and_after_tampering(api, org, alice, frank, project):
    r = api(frank).get("/orgs/acme/audit/verify")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    assert body["checked"] == acme_events(org).count() == 7  # frank joined too
    assert body["first_bad_id"] is None

    target = acme_events(org).get(seq=2)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET changes = %s WHERE id = %s",
            [json.dumps({"role": {"before": None, "after": "auditor"}}), target.pk],
        )
    r = api(alice).get("/orgs/acme/audit/verify")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False
    assert body["first_bad_id"] == target.pk
    assert body["checked"] == 2


def test_verify_reports_a_truncated_tail(api, org, alice, project):
    last = acme_events(org).order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [last.pk])
    body = api(alice).get("/orgs/acme/audit/verify").json()
    assert body["ok"] is False
    assert body["checked"] == 5
