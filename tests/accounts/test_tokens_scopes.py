"""Token scopes and expiry, organization tokens acting as their own service user, last-used
time (written at most once a minute), and the token endpoints of the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from linkstar.accounts.models import ApiToken, Membership, User
from linkstar.accounts.services import create_api_token, create_org_token, issue_token
from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.core.exceptions import InvalidInput, PermissionDenied
from linkstar.entities.models import SellerEntity
from tests.support.clients import ApiClient
from tests.support.seed import PASSWORD

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["code"] == code, body
    return body


# --- scopes -----------------------------------------------------------------------------------------


def test_a_read_token_reads_but_any_change_gets_403_token_scope(org, bob, as_bob):
    _token, raw = create_api_token(actor=as_bob, name="BI dashboard", scope="read")
    client = ApiClient(token=raw)
    assert client.get("/orgs/acme/entities").status_code == 200
    before = SellerEntity.objects.count()
    body = _error(client.post("/orgs/acme/entities", {"name": "Read Only Ltd"}), 403, "token_scope")
    assert "read-only" in body["detail"] or body["detail"]
    _error(client.delete("/me/tokens/1"), 403, "token_scope")
    _error(client.patch("/orgs/acme/members/1", {"role": "admin"}), 403, "token_scope")
    assert SellerEntity.objects.count() == before


def test_a_read_write_token_may_write(org, bob, as_bob):
    _token, raw = create_api_token(actor=as_bob, name="ERP", scope="read_write")
    r = ApiClient(token=raw).post("/orgs/acme/entities", {"name": "Writer Ltd"})
    assert r.status_code == 201


def test_an_unknown_scope_is_refused_naming_the_field(org, as_bob):
    with pytest.raises(InvalidInput) as caught:
        create_api_token(actor=as_bob, name="x", scope="admin")
    assert caught.value.errors[0].field == "scope"


def test_the_password_exchange_issues_a_read_write_token(org, carol):
    r = Client().post(
        "/api/v1/auth/token",
        {"email": "carol@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 201
    token = ApiToken.objects.get(user=carol)
    assert token.scope == "read_write" and token.organization_id is None


# --- expiry and last use ----------------------------------------------------------------------------


def test_a_token_stops_working_when_it_expires(org, carol):
    _token, raw = issue_token(user=carol, name="ci", expires_at=clock.now() + dt.timedelta(days=2))
    client = ApiClient(token=raw)
    assert client.get("/me").status_code == 200
    with clock.travel(days=2, seconds=1):
        _error(client.get("/me"), 401, "unauthenticated")


def test_last_used_is_recorded_at_most_once_a_minute(org, carol, django_assert_num_queries):
    token, raw = issue_token(user=carol, name="ci")
    client = ApiClient(token=raw)
    assert token.last_used_at is None
    client.get("/me")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    with clock.travel(seconds=30):
        client.get("/me")
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    with clock.travel(seconds=61):
        client.get("/me")
        later = ApiToken.objects.get(pk=token.pk).last_used_at
    assert later - first >= dt.timedelta(seconds=60)


# --- organization tokens ----------------------------------------------------------------------------


def test_an_admin_creates_an_organization_token_acting_as_its_service_user(org, as_alice, alice):
    token, raw = create_org_token(actor=as_alice, name="ERP", role="manager", scope="read_write")
    service = token.user
    assert service.is_service and service.name == "token:ERP"
    assert service.email.startswith("token:erp@acme.")
    assert not service.has_usable_password()
    assert Membership.objects.get(user=service, organization=org).role == "manager"
    assert token.organization == org and token.created_by == alice
    created = AuditEvent.objects.get(action="token.created", object_id=str(token.pk))
    assert created.actor_id == alice.pk
    assert created.changes["role"]["after"] == "manager"
    assert created.changes["kind"]["after"] == "organization"
    assert raw not in str(created.changes)

    # what the token does is audited under its own name
    r = ApiClient(token=raw).post("/orgs/acme/entities", {"name": "ERP Imported Ltd"})
    assert r.status_code == 201
    event = AuditEvent.objects.filter(action__startswith="entity").latest("pk")
    assert event.actor_id == service.pk
    assert event.actor_label.startswith("token:erp")


def test_an_organization_token_is_bound_to_its_organization(org, as_alice, other_org):
    _token, raw = create_org_token(actor=as_alice, name="ERP", role="admin")
    client = ApiClient(token=raw)
    assert client.get("/orgs/acme/projects").status_code == 200
    _error(client.get("/orgs/evil/projects"), 404, "not_found")
    assert [m["org"] for m in client.get("/me").json()["memberships"]] == ["acme"]


def test_an_organization_token_cannot_sign_in_or_exchange_a_password(org, as_alice):
    token, _raw = create_org_token(actor=as_alice, name="ERP", role="operator")
    assert not Client().login(username=token.user.email, password="")
    r = Client().post(
        "/api/v1/auth/token",
        {"email": token.user.email, "password": "anything at all"},
        content_type="application/json",
    )
    assert r.status_code == 401


def test_only_an_admin_creates_organization_tokens_and_never_with_the_client_role(
    org, as_bob, as_alice
):
    with pytest.raises(PermissionDenied):
        create_org_token(actor=as_bob, name="ERP", role="operator")
    with pytest.raises(InvalidInput) as caught:
        create_org_token(actor=as_alice, name="ERP", role="client")
    assert caught.value.errors[0].field == "role"
    assert not ApiToken.objects.exists()


def test_the_organization_token_is_not_listed_among_the_members(org, as_alice, alice, api):
    create_org_token(actor=as_alice, name="ERP", role="operator")
    emails = [m["email"] for m in api(alice).get("/orgs/acme/members").json()["items"]]
    assert emails == ["alice@example.com"]


def test_revoking_an_organization_token_retires_its_service_user(org, as_alice, alice, api):
    token, raw = create_org_token(actor=as_alice, name="ERP", role="operator")
    r = api(alice).delete(f"/orgs/acme/tokens/{token.pk}")
    assert r.status_code == 204
    _error(ApiClient(token=raw).get("/me"), 401, "unauthenticated")
    assert not User.objects.get(pk=token.user_id).is_active
    assert not Membership.objects.filter(user_id=token.user_id).exists()
    assert AuditEvent.objects.filter(action="token.revoked", object_id=str(token.pk)).exists()


# --- the API ----------------------------------------------------------------------------------------


def test_a_member_creates_lists_and_revokes_personal_tokens_by_api(org, carol, api):
    client = api(carol)
    r = client.post("/me/tokens", {"name": "Sheets export", "scope": "read"})
    assert r.status_code == 201
    created = r.json()
    assert created["token"].startswith("lsk_") and created["scope"] == "read"
    assert created["kind"] == "personal" and created["acts_as"] == "carol@example.com"
    listing = client.get("/me/tokens").json()
    assert created["id"] in [t["id"] for t in listing["items"]]
    assert all("token" not in t for t in listing["items"])  # the raw value is shown once
    assert AuditEvent.objects.filter(action="token.created", object_id=str(created["id"])).exists()
    assert ApiClient(token=created["token"]).get("/me").status_code == 200
    assert client.delete(f"/me/tokens/{created['id']}").status_code == 204
    _error(ApiClient(token=created["token"]).get("/me"), 401, "unauthenticated")
    _error(client.delete(f"/me/tokens/{created['id']}"), 409, "already_revoked")


def test_someone_elses_personal_token_is_not_found(org, carol, bob, api, as_bob):
    token, _raw = create_api_token(actor=as_bob, name="bob's")
    _error(api(carol).delete(f"/me/tokens/{token.pk}"), 404, "not_found")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_an_admin_manages_organization_tokens_by_api(org, alice, bob, api):
    admin = api(alice)
    r = admin.post(
        "/orgs/acme/tokens",
        {"name": "ERP", "role": "operator", "scope": "read", "expires_on": "2099-12-31"},
    )
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["kind"] == "organization" and created["role"] == "operator"
    assert created["acts_as"].startswith("token:erp@")
    assert created["created_by"] == "alice@example.com"
    assert created["expires_at"].startswith("2100-01-01")  # through 31 Dec, Shanghai time
    items = admin.get("/orgs/acme/tokens").json()["items"]
    assert [(t["name"], t["role"], t["scope"]) for t in items] == [("ERP", "operator", "read")]
    _error(api(bob).get("/orgs/acme/tokens"), 403, "permission_denied")
    _error(
        api(bob).post("/orgs/acme/tokens", {"name": "x", "role": "operator"}),
        403,
        "permission_denied",
    )


def test_the_tokens_page_shows_scope_last_use_and_the_organization_tokens(org, alice, as_alice):
    _token, raw = create_api_token(actor=as_alice, name="nightly", scope="read")
    ApiClient(token=raw).get("/me")
    client = Client()
    client.login(username="alice@example.com", password=PASSWORD)
    r = client.post(
        "/o/acme/settings/tokens/",
        {
            "kind": "organization",
            "org-name": "ERP",
            "org-role": "operator",
            "org-scope": "read_write",
        },
        follow=True,
    )
    assert r.redirect_chain == [("/o/acme/settings/tokens/", 302)]
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="new-token"' in html and 'id="org-token-table"' in html
    assert 'data-scope="read"' in html and 'data-role="operator"' in html
    token = ApiToken.objects.get(organization=org)
    assert token.user.name == "token:ERP"
    mine = ApiToken.objects.get(name="nightly")
    assert mine.last_used_at is not None


def test_a_manager_sees_no_organization_tokens_on_the_page(org, bob):
    client = Client()
    client.login(username="bob@example.com", password=PASSWORD)
    html = client.get("/o/acme/settings/tokens/").content.decode()
    assert 'id="org-token-table"' not in html and 'id="org-token-form"' not in html
    r = client.post(
        "/o/acme/settings/tokens/",
        {"kind": "organization", "org-name": "x", "org-role": "operator"},
    )
    assert r.status_code in (302, 403)
    assert not ApiToken.objects.filter(organization=org).exists()
