"""The rules of the accounts services: users, organizations, memberships, tokens."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from linkstar.accounts.models import ApiToken, Membership, User, hash_token
from linkstar.accounts.services import (
    AuthenticationFailed,
    add_member,
    change_member_role,
    create_organization,
    create_user,
    issue_token,
    remove_member,
    token_for_credentials,
    user_for_token,
)
from linkstar.audit.models import AuditEvent
from linkstar.audit.services import verify_chain
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.support.seed import PASSWORD, actor_of


def fields_of(exc: InvalidInput) -> list[str]:
    return [e.field for e in exc.errors]


# --- users --------------------------------------------------------------------------------------


def test_create_user_normalises_the_email_and_hashes_the_password(db):
    user = create_user(email="  Nina@Example.COM ", password="nina's password", name=" Nina ")
    assert user.email == "nina@example.com"
    assert user.name == "Nina"
    assert user.password != "nina's password"
    assert user.check_password("nina's password")


def test_emails_are_unique_whatever_their_case(db):
    create_user(email="nina@example.com", password=PASSWORD)
    with pytest.raises(InvalidInput) as exc:
        create_user(email="NINA@example.com", password=PASSWORD)
    assert fields_of(exc.value) == ["email"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("", PASSWORD, "email"),
        ("nina@example.com", "short", "password"),
        ("nina@example.com", None, "password"),
    ],
)
def test_create_user_refuses_bad_input_naming_the_field(db, email, password, field):
    with pytest.raises(InvalidInput) as exc:
        create_user(email=email, password=password)
    assert fields_of(exc.value) == [field]
    assert not User.objects.exists()


def test_create_user_refuses_names_and_emails_longer_than_their_columns(db):
    with pytest.raises(InvalidInput) as exc:
        create_user(email="nina@example.com", password=PASSWORD, name="N" * 151)
    assert fields_of(exc.value) == ["name"]
    with pytest.raises(InvalidInput) as exc:
        create_user(email="n" * 250 + "@example.com", password=PASSWORD)
    assert fields_of(exc.value) == ["email"]
    assert not User.objects.exists()


# --- organizations ------------------------------------------------------------------------------


def test_create_organization_makes_the_owner_an_admin_and_starts_the_audit_chain(alice):
    org = create_organization(name=" Beta Ltd ", slug="beta", owner=alice)
    assert org.name == "Beta Ltd"
    membership = Membership.objects.get(organization=org)
    assert (membership.user, membership.role, membership.is_owner) == (alice, "admin", True)
    actions = list(
        AuditEvent.objects.filter(organization=org).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["organization.created", "member.added"]
    assert verify_chain(organization_id=org.pk).ok


@pytest.mark.parametrize(
    ("name", "slug", "field"),
    [
        ("", "beta", "name"),
        ("Beta", "Beta Ltd", "slug"),
        ("Beta", "", "slug"),
        ("Beta", "acme", "slug"),
    ],
)
def test_create_organization_refuses_bad_names_and_taken_slugs(org, alice, name, slug, field):
    with pytest.raises(InvalidInput) as exc:
        create_organization(name=name, slug=slug, owner=alice)
    assert fields_of(exc.value) == [field]


# --- memberships --------------------------------------------------------------------------------


def test_only_admins_manage_members(org, as_bob, carol):
    with pytest.raises(PermissionDenied):
        add_member(actor=as_bob, email="x@example.com", role="operator", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        change_member_role(actor=as_bob, user_id=carol.pk, role="reviewer")
    with pytest.raises(PermissionDenied):
        remove_member(actor=as_bob, user_id=carol.pk)
    assert not User.objects.filter(email="x@example.com").exists()
    assert Membership.objects.get(user=carol).role == "operator"


def test_an_owner_demoted_from_admin_is_no_longer_owner_nor_admin(org, alice, bob, as_alice):
    """Owner is an admin flag: it goes with the admin role, and the change is audited."""
    change_member_role(actor=as_alice, user_id=bob.pk, role="admin")
    change_member_role(actor=as_alice, user_id=alice.pk, role="manager")
    as_former_owner = actor_of(org, alice)
    assert as_former_owner.role == "manager" and not as_former_owner.is_admin
    with pytest.raises(PermissionDenied):
        add_member(actor=as_former_owner, email="x@example.com", role="operator", password=PASSWORD)
    event = AuditEvent.objects.filter(action="member.role_changed").order_by("-seq").first()
    assert event.changes["is_owner"] == {"before": True, "after": False}


def test_add_member_creates_the_user_and_audits_without_the_password(as_alice, org):
    membership = add_member(
        actor=as_alice,
        email="Omar@Example.com",
        role="reviewer",
        name="Omar",
        password="omar pass 1",
    )
    assert membership.user.email == "omar@example.com"
    assert membership.user.name == "Omar"
    assert membership.role == "reviewer"
    event = AuditEvent.objects.filter(action="member.added").order_by("-seq").first()
    assert event.object_id == str(membership.pk)
    assert event.changes == {
        "email": {"before": None, "after": "omar@example.com"},
        "role": {"before": None, "after": "reviewer"},
    }
    assert "omar pass 1" not in json.dumps([e.changes for e in AuditEvent.objects.all()])


def test_add_member_refusals_change_nothing(as_alice, carol):
    before = (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Conflict) as exc:
        add_member(actor=as_alice, email="carol@example.com", role="manager")
    assert exc.value.code == "already_member"
    with pytest.raises(InvalidInput) as exc:
        add_member(actor=as_alice, email="new@example.com", role="operator")
    assert fields_of(exc.value) == ["password"]
    with pytest.raises(InvalidInput) as exc:
        add_member(actor=as_alice, email="new@example.com", role="owner", password=PASSWORD)
    assert fields_of(exc.value) == ["role"]
    with pytest.raises(InvalidInput) as exc:
        add_member(actor=as_alice, email="new@", role="operator", password=PASSWORD)
    assert fields_of(exc.value) == ["email"]
    assert (User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_change_member_role_audits_before_and_after(as_alice, carol, entity_yunfan):
    membership = change_member_role(
        actor=as_alice, user_id=carol.pk, role="client", entity_id=entity_yunfan.pk
    )
    assert (membership.role, membership.entity_id) == ("client", entity_yunfan.pk)
    event = AuditEvent.objects.filter(action="member.role_changed").get()
    assert event.changes["role"] == {"before": "operator", "after": "client"}


def test_change_member_role_refuses_another_orgs_entity(as_alice, carol, other_org, mallory):
    from linkstar.entities.services import create_entity

    foreign = create_entity(actor=actor_of(other_org, mallory), name="Evil Seller")
    with pytest.raises(InvalidInput) as exc:
        change_member_role(actor=as_alice, user_id=carol.pk, role="client", entity_id=foreign.pk)
    assert fields_of(exc.value) == ["entity_id"]
    assert Membership.objects.get(user=carol).role == "operator"


def test_the_last_admin_stays(as_alice, alice, bob):
    with pytest.raises(Conflict) as exc:
        change_member_role(actor=as_alice, user_id=alice.pk, role="operator")
    assert exc.value.code == "last_admin"
    with pytest.raises(Conflict) as exc:
        remove_member(actor=as_alice, user_id=alice.pk)
    assert exc.value.code == "last_admin"
    assert Membership.objects.get(user=alice).role == "admin"
    change_member_role(actor=as_alice, user_id=bob.pk, role="admin")
    remove_member(actor=as_alice, user_id=alice.pk)
    assert not Membership.objects.filter(user=alice).exists()


def test_members_of_another_org_are_not_found(as_alice, mallory):
    with pytest.raises(NotFound):
        change_member_role(actor=as_alice, user_id=mallory.pk, role="operator")
    with pytest.raises(NotFound):
        remove_member(actor=as_alice, user_id=mallory.pk)
    assert Membership.objects.get(user=mallory).role == "admin"


def test_remove_member_audits_and_keeps_the_user(as_alice, carol):
    remove_member(actor=as_alice, user_id=carol.pk)
    assert not Membership.objects.filter(user=carol).exists()
    assert User.objects.filter(pk=carol.pk).exists()
    event = AuditEvent.objects.filter(action="member.removed").get()
    assert event.changes == {
        "email": {"before": "carol@example.com", "after": None},
        "role": {"before": "operator", "after": None},
    }


# --- tokens -------------------------------------------------------------------------------------


def test_issue_token_keeps_only_the_hash(alice):
    token, raw = issue_token(user=alice, name="script")
    assert raw.startswith("lsk_") and len(raw) > 40
    assert token.key_hash == hash_token(raw) != raw
    assert token.prefix == raw[:12]
    assert user_for_token(raw) == alice
    assert user_for_token(raw + "x") is None


def test_tokens_are_unique(alice):
    raws = {issue_token(user=alice)[1] for _ in range(20)}
    assert len(raws) == 20


def test_user_for_token_stamps_last_use_at_most_once_a_minute(alice):
    token, raw = issue_token(user=alice)
    assert token.last_used_at is None
    user_for_token(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    user_for_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
    user_for_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - dt.timedelta(minutes=5)


def test_revoked_expired_and_inactive_tokens_are_refused(alice):
    now = timezone.now()
    revoked, raw_revoked = issue_token(user=alice)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=now)
    _, raw_expired = issue_token(user=alice, expires_at=now - dt.timedelta(minutes=1))
    assert user_for_token(raw_revoked) is None
    assert user_for_token(raw_expired) is None
    _, raw = issue_token(user=alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert user_for_token(raw) is None


def test_token_for_credentials(alice):
    raw = token_for_credentials(email="ALICE@example.com", password=PASSWORD, name="cli")
    assert user_for_token(raw) == alice
    assert ApiToken.objects.get(key_hash=hash_token(raw)).name == "cli"
    with pytest.raises(AuthenticationFailed) as exc:
        token_for_credentials(email="alice@example.com", password="nope")
    assert (exc.value.status, exc.value.code) == (401, "invalid_credentials")
