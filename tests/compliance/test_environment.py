"""A store's registration environment (防关联环境): recorded masked, audited, and matched like an
entity's identifiers — of that project only."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.models import AssociationRisk, CloseReason, RiskStatus, StoreIdentifier
from linkstar.compliance.services import set_store_environment, store_environment
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from tests.support.compliance import identify, open_store

IP = "203.0.113.7"


@pytest.fixture
def stores(as_bob, seller_a, seller_b):
    """a's US store, a's Canadian store (the same account) and b's German store: Amazon links
    b's store with a's across scopes when they share anything."""
    return (
        open_store(as_bob, seller_a, "amazon-us", "A US"),
        open_store(as_bob, seller_a, "amazon-ca", "A CA"),
        open_store(as_bob, seller_b, "amazon-de", "B DE"),
    )


def test_a_shared_ip_address_links_two_entities_stores(as_bob, stores):
    a_us, a_ca, b_de = stores
    set_store_environment(actor=as_bob, project=a_us, values={"ip_address": IP})
    assert not AssociationRisk.objects.exists()
    items = set_store_environment(
        actor=as_bob, project=b_de, values={"ip_address": f" {IP} ", "device_profile": "p-42"}
    )
    assert [i["field"] for i in items] == ["ip_address", "device_profile"]
    assert IP not in str(items) and all("*" in i["masked"] for i in items)
    (risk,) = AssociationRisk.objects.all()
    assert (risk.project_id, risk.other_project_id) == (a_us.pk, b_de.pk)
    assert [i["kind"] for i in risk.identifiers] == ["ip_address"]
    assert risk.status == RiskStatus.OPEN
    # of a_us only: its sibling store of the same entity is not linked with b's
    assert not AssociationRisk.objects.filter(project=a_ca).exists()
    # cleared: the risk no longer holds
    set_store_environment(actor=as_bob, project=a_us, values={"ip_address": ""})
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED
    assert risk.close_reason == CloseReason.IDENTIFIERS_CHANGED
    assert store_environment(a_us) == []


def test_a_registration_phone_matches_another_entitys_phone(as_bob, stores, seller_b):
    a_us, _a_ca, b_de = stores
    identify(seller_b, "phone", "+86 139 0013 9000")
    set_store_environment(actor=as_bob, project=a_us, values={"registration_phone": "13900139000"})
    (risk,) = AssociationRisk.objects.all()
    assert (risk.project_id, risk.other_project_id) == (a_us.pk, b_de.pk)
    assert risk.kinds == " phone "


def test_changes_are_audited_with_masked_values_and_absent_fields_kept(as_bob, stores):
    a_us = stores[0]
    set_store_environment(
        actor=as_bob,
        project=a_us,
        values={"registration_email": "register@shop.example", "ip_address": IP},
    )
    set_store_environment(actor=as_bob, project=a_us, values={"registration_email": None})
    assert [i["field"] for i in store_environment(a_us)] == ["ip_address"]
    first, second = AuditEvent.objects.filter(action="project.environment_changed").order_by("pk")
    assert first.project_id == a_us.pk
    assert set(first.changes) == {"registration_email", "ip_address"}
    assert "register@shop.example" not in str(first.changes) and IP not in str(first.changes)
    assert set(second.changes) == {"registration_email"}
    assert second.changes["registration_email"]["after"] is None
    # the same value again changes nothing
    set_store_environment(actor=as_bob, project=a_us, values={"ip_address": IP})
    assert AuditEvent.objects.filter(action="project.environment_changed").count() == 2


def test_only_the_manager_or_an_admin_records_it(as_carol, as_alice, stores):
    a_us = stores[0]
    with pytest.raises(PermissionDenied):
        set_store_environment(actor=as_carol, project=a_us, values={"ip_address": IP})
    set_store_environment(actor=as_alice, project=a_us, values={"ip_address": IP})
    assert StoreIdentifier.objects.filter(project=a_us).count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"password": "x"}, "password"),
        ({"ip_address": "1" * 201}, "ip_address"),
        ({"device_profile": "—— ——"}, "device_profile"),
    ],
)
def test_invalid_values_are_refused(as_bob, stores, values, field):
    with pytest.raises(InvalidInput) as caught:
        set_store_environment(actor=as_bob, project=stores[0], values=values)
    assert caught.value.errors[0].field == field
    assert not StoreIdentifier.objects.exists()


def test_the_api_reads_and_writes_the_environment(api, bob, carol, mallory, stores):
    a_us, _a_ca, b_de = stores
    url = f"/orgs/acme/projects/{a_us.pk}/environment"
    assert api(bob).get(url).json() == {"project_id": a_us.pk, "items": []}
    r = api(bob).put(url, {"ip_address": IP, "registration_phone": "13900139000"})
    assert r.status_code == 200
    assert [i["field"] for i in r.json()["items"]] == ["registration_phone", "ip_address"]
    assert IP not in r.content.decode() and "13900139000" not in r.content.decode()
    r = api(bob).put(url, {"registration_phone": ""})  # the IP address is kept
    assert [i["field"] for i in r.json()["items"]] == ["ip_address"]
    api(bob).put(f"/orgs/acme/projects/{b_de.pk}/environment", {"ip_address": IP})
    (risk,) = api(bob).get(f"/orgs/acme/projects/{b_de.pk}/risks").json()["items"]
    assert risk["identifiers"][0]["kind"] == "ip_address"
    a_us.members.add(carol)
    assert api(carol).get(url).status_code == 200
    r = api(carol).put(url, {"ip_address": "198.51.100.1"})
    assert r.status_code == 403
    assert api(mallory).get(url).status_code == 404
    assert api(mallory).put(url, {"ip_address": IP}).status_code == 404
