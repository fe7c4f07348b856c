"""API tokens: a member creates tokens for themselves (shown once, stored hashed), revokes their
own, and an administrator may revoke a member's; both are audited without the secret."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.utils import timezone

from linkstar.accounts.models import ApiToken, hash_token
from linkstar.accounts.services import (
    create_api_token,
    issue_token,
    revoke_api_token,
    user_for_token,
)
from linkstar.audit.models import AuditEvent
from linkstar.audit.services import verify_chain
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound
from tests.support.seed import PASSWORD, actor_of

pytestmark = pytest.mark.django_db


def test_a_member_creates_a_token_whose_raw_value_is_returned_once(org, as_carol, carol):
    token, raw = create_api_token(actor=as_carol, name="ERP sync")
    assert raw.startswith("lsk_") and len(raw) > 30
    assert token.user == carol and token.name == "ERP sync"
    assert token.prefix == raw[:12]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token(raw)
    assert raw not in {getattr(stored, f.attname) for f in ApiToken._meta.fields}
    assert user_for_token(raw) == carol


def test_token_creation_is_audited_without_the_secret(org, as_carol, carol):
    token, raw = create_api_token(actor=as_carol, name="ERP sync")
    event = AuditEvent.objects.get(organization=org, action="token.created")
    assert event.actor_id == carol.pk
    assert event.object_type == "apitoken" and event.object_id == str(token.pk)
    assert event.changes["name"]["after"] == "ERP sync"
    assert event.changes["prefix"]["after"] == token.prefix
    stored = json.dumps([event.changes, event.object_repr])
    assert raw not in stored and token.key_hash not in stored
    assert verify_chain(organization_id=org.pk).ok


def test_a_token_needs_a_name(org, as_carol):
    with pytest.raises(InvalidInput) as caught:
        create_api_token(actor=as_carol, name="   ")
    assert caught.value.errors[0].field == "name"
    assert not ApiToken.objects.exists()


def test_an_expiry_date_means_usable_through_that_day_in_the_organization_time(org, as_carol):
    day = timezone.localdate() + dt.timedelta(days=30)
    token, _raw = create_api_token(actor=as_carol, name="ci", expires_at=day)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert token.expires_at == dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(), tzinfo=shanghai
    )


def test_an_expiry_in_the_past_is_refused(org, as_carol):
    with pytest.raises(InvalidInput) as caught:
        create_api_token(actor=as_carol, name="ci", expires_at=dt.date(2020, 1, 1))
    assert caught.value.errors[0].field == "expires_at"
    assert not ApiToken.objects.exists()


def test_an_expired_token_no_longer_authenticates(org, carol):
    token, raw = issue_token(user=carol, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert user_for_token(raw) is None


def test_a_member_revokes_their_own_token(org, as_carol, carol):
    token, raw = create_api_token(actor=as_carol, name="laptop")
    revoke_api_token(actor=as_carol, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user_for_token(raw) is None
    event = AuditEvent.objects.get(organization=org, action="token.revoked")
    assert event.actor_id == carol.pk and event.object_id == str(token.pk)
    assert raw not in json.dumps(event.changes) and token.key_hash not in json.dumps(event.changes)
    assert verify_chain(organization_id=org.pk).ok


def test_revoking_twice_is_a_conflict(org, as_carol):
    token, _raw = create_api_token(actor=as_carol, name="laptop")
    revoke_api_token(actor=as_carol, token_id=token.pk)
    with pytest.raises(Conflict):
        revoke_api_token(actor=as_carol, token_id=token.pk)
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_a_member_cannot_revoke_another_members_token(org, as_bob, carol):
    token, raw = issue_token(user=carol, name="carol's")
    with pytest.raises(NotFound):
        revoke_api_token(actor=as_bob, token_id=token.pk)
    assert user_for_token(raw) == carol
    assert not AuditEvent.objects.filter(action="token.revoked").exists()


def test_an_administrator_revokes_a_members_token(org, as_alice, carol):
    token, raw = issue_token(user=carol, name="lost laptop")
    revoke_api_token(actor=as_alice, token_id=token.pk)
    assert user_for_token(raw) is None
    event = AuditEvent.objects.get(organization=org, action="token.revoked")
    assert event.changes["owner"]["after"] == "carol@example.com"


def test_an_administrator_cannot_revoke_the_token_of_someone_outside_the_organization(
    org, as_alice, mallory
):
    token, raw = issue_token(user=mallory, name="evil")
    with pytest.raises(NotFound):
        revoke_api_token(actor=as_alice, token_id=token.pk)
    assert user_for_token(raw) == mallory


def test_another_organizations_admin_cannot_revoke_our_tokens(org, other_org, mallory, carol):
    token, raw = issue_token(user=carol, name="carol's")
    with pytest.raises(NotFound):
        revoke_api_token(actor=actor_of(other_org, mallory), token_id=token.pk)
    assert user_for_token(raw) == carol


def test_an_unknown_token_is_not_found(org, as_alice):
    with pytest.raises(NotFound):
        revoke_api_token(actor=as_alice, token_id=987654)


def test_the_password_exchange_endpoint_still_issues_tokens(org, carol, client):
    response = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"email": "carol@example.com", "password": PASSWORD, "name": "cli"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert user_for_token(raw) == carol
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["email"] == "carol@example.com"
