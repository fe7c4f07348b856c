"""Store credentials: listed per store, kept encrypted, answered masked; the project's manager
and admins add, rotate, revoke and delete them; clients do not see them."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, PermissionDenied
from linkstar.entities import services
from linkstar.entities.models import StoreCredential
from tests.support.seed import actor_of
from tests.support.vault import API_KEY, SECRET, assert_nowhere, audit_text, credentials_of

NEW_SECRET = "Rotated#After*Lily_Left"


def snapshot() -> tuple:
    return (
        AuditEvent.objects.count(),
        list(StoreCredential.objects.order_by("pk").values_list("pk", "version", "revoked_at")),
    )


def creds(project_id: int) -> str:
    return f"/orgs/acme/projects/{project_id}/credentials"


# --- services -------------------------------------------------------------------------------------


def test_rotation_replaces_the_secret_and_records_when_and_who(as_bob, vault):
    credential = services.update_credential(
        actor=as_bob, credential=vault.credential, secret=NEW_SECRET, version=1
    )
    assert credential.secret == NEW_SECRET and credential.version == 2
    assert credential.rotated_at is not None and credential.rotated_by_id == as_bob.user_id
    event = AuditEvent.objects.get(action="credential.rotated")
    assert event.changes == {"secret": {"changed": True}}
    assert event.project_id == vault.credential.project_id
    # the same secret again is no rotation
    events = AuditEvent.objects.count()
    services.update_credential(actor=as_bob, credential=credential, secret=NEW_SECRET)
    assert AuditEvent.objects.count() == events
    assert_nowhere(audit_text(), SECRET, NEW_SECRET, API_KEY)


def test_revoking_erases_the_secret_and_freezes_the_credential(as_bob, vault):
    credential = services.revoke_credential(actor=as_bob, credential=vault.credential)
    credential.refresh_from_db()
    assert credential.revoked and credential.secret == "" and credential.revoked_by_id
    with pytest.raises(Conflict) as caught:
        services.update_credential(actor=as_bob, credential=credential, secret="again")
    assert caught.value.code == "revoked"
    assert services.revoke_credential(actor=as_bob, credential=credential).version == 2


def test_only_the_projects_manager_and_admins_manage_credentials(
    org, as_alice, vault, carol, dave, frank, grace
):
    from linkstar.accounts.services import add_member

    henry = add_member(
        actor=as_alice, email="henry@example.com", role="manager", password="long enough pw"
    ).user
    before = snapshot()
    for user in (carol, dave, frank, grace, henry):
        actor = actor_of(org, user)
        with pytest.raises(PermissionDenied):
            services.create_credential(
                actor=actor, project=vault.credential.project, kind="api_key", label="x", secret="y"
            )
        with pytest.raises(PermissionDenied):
            services.update_credential(actor=actor, credential=vault.credential, secret="z")
        with pytest.raises(PermissionDenied):
            services.revoke_credential(actor=actor, credential=vault.credential)
    assert snapshot() == before
    services.update_credential(actor=as_alice, credential=vault.credential, label="SC main")


# --- API ------------------------------------------------------------------------------------------


def test_the_list_is_masked_for_everyone_who_sees_the_project(api, alice, bob, carol, frank, vault):
    pid = vault.credential.project_id
    for user in (alice, bob, carol, frank):
        r = api(user).get(creds(pid))
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["count"] == 2
        assert {c["secret"] for c in body["items"]} == {"********"}
        assert {c["label"] for c in body["items"]} == {"Seller Central", "ERP (店小秘)"}
        login = next(c for c in body["items"] if c["kind"] == "platform_login")["login"]
        assert login == "store@xinghe.example"
        assert_nowhere(r.content.decode(), SECRET, API_KEY)


def test_a_client_does_not_see_credentials(
    api, org, as_alice, as_bob, grace, entity_yunfan, amazon_na
):
    """grace sees her own entity's project, not its credentials."""
    from linkstar.projects.services import create_project

    own = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Yunfan US", entity_id=entity_yunfan.pk
    )
    services.create_credential(actor=as_bob, project=own, kind="api_key", label="k", secret=API_KEY)
    r = api(grace).get(creds(own.pk))
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert API_KEY not in r.content.decode()


def test_create_rotate_revoke_delete(api, bob, vault):
    client = api(bob)
    pid = vault.credential.project_id
    r = client.post(creds(pid), {"kind": "erp_token", "label": "马帮 ERP", "secret": " tok-1 "})
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["secret"] == "********" and created["created_by"] == bob.pk
    assert StoreCredential.objects.get(pk=created["id"]).secret == "tok-1"
    r = client.patch(f"{creds(pid)}/{created['id']}", {"secret": NEW_SECRET, "version": 1})
    assert r.status_code == 200 and r.json()["rotated_at"] and r.json()["version"] == 2
    r = client.patch(f"{creds(pid)}/{created['id']}", {"revoked": True})
    assert r.status_code == 200
    assert r.json()["revoked"] is True and r.json()["secret"] == ""
    r = client.patch(f"{creds(pid)}/{created['id']}", {"label": "again"})
    assert r.status_code == 409 and r.json()["code"] == "revoked"
    r = client.patch(f"{creds(pid)}/{created['id']}", {"revoked": False})
    assert r.status_code == 409
    r = client.delete(f"{creds(pid)}/{created['id']}")
    assert r.status_code == 204
    assert not StoreCredential.objects.filter(pk=created["id"]).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="storecredential")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "credential.created",
        "credential.rotated",
        "credential.revoked",
        "credential.deleted",
    ]
    assert_nowhere(audit_text(), NEW_SECRET, "tok-1", SECRET)


def test_bad_input_and_refusals_change_nothing(api, bob, carol, dave, frank, vault):
    pid = vault.credential.project_id
    before = snapshot()
    r = api(bob).post(creds(pid), {"kind": "password", "label": " ", "secret": "  "})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"kind", "label", "secret"}
    r = api(bob).post(creds(pid), {"kind": "api_key", "label": "x", "secret": "s" * 2001})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "secret"
    r = api(bob).patch(f"{creds(pid)}/{vault.credential.pk}", {"label": "x", "version": 7})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    for user in (carol, dave, frank):
        client = api(user)
        r = client.post(creds(pid), {"kind": "api_key", "label": "x", "secret": "y"})
        assert r.status_code == 403
        assert (
            client.patch(f"{creds(pid)}/{vault.credential.pk}", {"secret": "y"}).status_code == 403
        )
        assert client.delete(f"{creds(pid)}/{vault.credential.pk}").status_code == 403
    assert snapshot() == before


def test_another_organization_gets_404(api, mallory, vault):
    pid = vault.credential.project_id
    before = snapshot()
    for org in ("acme", "evil"):
        base = f"/orgs/{org}/projects/{pid}/credentials"
        for r in (
            api(mallory).get(base),
            api(mallory).post(base, {"kind": "api_key", "label": "x", "secret": "y"}),
            api(mallory).patch(f"{base}/{vault.credential.pk}", {"secret": "y"}),
            api(mallory).delete(f"{base}/{vault.credential.pk}"),
        ):
            assert r.status_code == 404
    assert snapshot() == before


def test_a_credential_of_another_project_is_not_found_under_this_one(
    api, bob, vault, as_bob, amazon_na, entity
):
    from linkstar.projects.services import create_project

    other = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Xinghe CA", entity_id=entity.pk
    )
    r = api(bob).patch(f"{creds(other.pk)}/{vault.credential.pk}", {"label": "moved"})
    assert r.status_code == 404
    assert credentials_of(other) == []


def test_the_list_costs_a_fixed_number_of_queries(
    api, alice, as_bob, vault, django_assert_max_num_queries
):
    for i in range(25):
        services.create_credential(
            actor=as_bob,
            project=vault.credential.project,
            kind="api_key",
            label=f"k{i}",
            secret=f"s{i}",
        )
    client = api(alice)
    with django_assert_max_num_queries(6):
        r = client.get(creds(vault.credential.project_id), limit=500)
    assert r.json()["count"] == 27
