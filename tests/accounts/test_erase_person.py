"""Erasing a person's personal data on request (PIPL / GDPR): placeholder name and address,
tokens revoked, no sign-in, their work kept and their audit rows shown as "Erased user"."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import translation

from linkstar.accounts.models import ApiToken, Membership, User
from linkstar.accounts.services import add_member, erase_person, issue_token, remove_member
from linkstar.audit.models import AuditEvent
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, NotFound, PermissionDenied
from linkstar.notifications.models import NotificationPreference
from linkstar.projects.models import Comment
from linkstar.projects.services import add_comment
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient, client_for, login
from tests.support.seed import PASSWORD


def text_outside_the_audit() -> str:
    """Every text-like value of every model but the append-only audit trail."""
    chunks = []
    for model in apps.get_models():
        if model._meta.label == "audit.AuditEvent":
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._default_manager.values_list(*fields) if fields else ():
            chunks.append(json.dumps(row, ensure_ascii=False, default=str))
    return "\n".join(chunks)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def carol_worked(as_carol, carol, project, org):
    """carol commented on bob's project (an audit event of hers), has a token, a session and
    notification preferences."""
    comment = add_comment(actor=as_carol, project=project, body="营业执照已上传，请审核")
    NotificationPreference.objects.create(user=carol, organization=org, email_kinds=["mention"])
    _token, raw = issue_token(user=carol)
    session = login(carol)
    return comment, raw, session


def test_erasure_replaces_name_and_address_and_ends_every_way_in(
    carol_worked, as_alice, carol, org
):
    comment, raw, session = carol_worked
    assert ApiClient(token=raw).get("/me").status_code == 200

    erase_person(actor=as_alice, user_id=carol.pk)

    carol.refresh_from_db()
    assert (carol.email, carol.name, carol.is_active) == (f"erased-{carol.pk}@invalid", "", False)
    assert carol.is_erased
    with translation.override("zh-hans"):
        assert carol.display_name == str(carol) == "已删除的用户"
    assert not carol.has_usable_password()
    assert not ApiToken.objects.filter(user=carol, revoked_at__isnull=True).exists()
    assert ApiClient(token=raw).get("/me").status_code == 401
    assert session.get("/o/acme/projects/").status_code in (302, 403)
    assert not Client().login(email="carol@example.com", password=PASSWORD)
    assert not Membership.objects.filter(user=carol).exists()
    assert not NotificationPreference.objects.filter(user=carol).exists()
    assert Comment.objects.get(pk=comment.pk).body == "营业执照已上传，请审核"
    assert "carol@example.com" not in text_outside_the_audit()


def test_the_audit_records_the_erasure_without_the_address_and_shows_erased_user(
    carol_worked, as_alice, alice, carol, api
):
    erase_person(actor=as_alice, user_id=carol.pk)

    event = AuditEvent.objects.get(action="member.erased")
    assert (event.actor_id, event.object_type, event.object_id) == (alice.pk, "user", str(carol.pk))
    assert "carol@example.com" not in str(event.changes) + event.object_repr
    items = api(alice).get("/orgs/acme/audit", actor=carol.pk).json()["items"]
    assert items and {i["actor"] for i in items} == {"已删除的用户"}  # the API answers in Chinese
    page = client_for(alice).get("/o/acme/audit/", {"actor": carol.pk})
    assert page.status_code == 200
    assert "Erased user" in page.content.decode()


def test_a_former_member_can_be_erased(carol_worked, as_alice, carol):
    remove_member(actor=as_alice, user_id=carol.pk)
    erase_person(actor=as_alice, user_id=carol.pk)
    assert User.objects.get(pk=carol.pk).is_erased


def test_oneself_the_last_admin_and_a_member_elsewhere_are_refused(
    as_alice, alice, carol, org, other_org
):
    with pytest.raises(Conflict) as own:
        erase_person(actor=as_alice, user_id=alice.pk)
    assert own.value.code == "erase_self"
    with pytest.raises(Conflict) as last:
        erase_person(actor=Actor.system(org), user_id=alice.pk)
    assert last.value.code == "last_admin"
    add_member(actor=Actor.system(other_org), email=carol.email, role="operator")
    with pytest.raises(Conflict) as elsewhere:
        erase_person(actor=as_alice, user_id=carol.pk)
    assert elsewhere.value.code == "member_elsewhere"
    assert not User.objects.get(pk=carol.pk).is_erased


def test_only_an_admin_of_the_organization_may_erase(as_bob, carol, mallory, alice, api):
    with pytest.raises(PermissionDenied):
        erase_person(actor=as_bob, user_id=carol.pk)
    assert_error(api(mallory).post(f"/orgs/evil/members/{carol.pk}/erase"), 404)
    assert_error(api(alice).post(f"/orgs/acme/members/{mallory.pk}/erase"), 404)
    with pytest.raises(NotFound):
        erase_person(actor=as_bob.__class__.system(as_bob.organization), user_id=mallory.pk)
    r = api(alice).post(f"/orgs/acme/members/{carol.pk}/erase")
    assert r.status_code == 204, r.content
    assert_error(api(alice).post(f"/orgs/acme/members/{carol.pk}/erase"), 404)


def test_the_members_page_offers_the_erasure_to_admins(alice, bob, carol):
    page = client_for(alice).get("/o/acme/settings/members/").content.decode()
    assert 'data-action="erase-member"' in page
    assert client_for(bob).post(f"/o/acme/settings/members/{carol.pk}/erase/").status_code == 403
    r = client_for(alice).post(f"/o/acme/settings/members/{carol.pk}/erase/")
    assert r.status_code == 302
    assert User.objects.get(pk=carol.pk).is_erased
