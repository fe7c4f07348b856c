"""Organization settings pages: members and roles (administrators manage, others read) and
API tokens (create, shown once, revoke)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linkstar.accounts.models import ApiToken, Membership, Role
from linkstar.accounts.services import add_member, issue_token, user_for_token
from linkstar.audit.models import AuditEvent
from linkstar.projects.services import ProjectRow, create_projects_batch
from tests.support.seed import PASSWORD

pytestmark = pytest.mark.django_db

MEMBERS = "/o/acme/settings/members/"
TOKENS = "/o/acme/settings/tokens/"


@pytest.fixture
def many_projects(as_alice, amazon_na, entity, bob):
    rows = [
        ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, manager_id=bob.pk)
        for i in range(500)
    ]
    return create_projects_batch(
        actor=as_alice, template_id=amazon_na.pk, rows=rows, start_date=dt.date(2026, 11, 2)
    )


@pytest.fixture
def crowd(org, as_alice):
    """Twenty more members, so that a query per row would show."""
    for i in range(20):
        add_member(
            actor=as_alice,
            email=f"member{i}@example.com",
            role=Role.OPERATOR,
            name=f"Member {i}",
            password=PASSWORD,
        )


def role_of(org, user) -> str:
    return Membership.objects.get(organization=org, user=user).role


# --- members ---------------------------------------------------------------------------------


def test_members_page_costs_a_bounded_number_of_queries(
    client, alice, bob, carol, frank, grace, crowd, many_projects, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(7):
        response = client.get(MEMBERS)
    assert response.status_code == 200
    html = response.content.decode()
    for email in ("alice@", "bob@", "carol@", "frank@", "grace@", "member19@"):
        assert email in html
    assert 'id="add-member-form"' in html


def test_an_operator_sees_the_members_and_roles_but_no_forms(client, carol, bob):
    client.force_login(carol)
    response = client.get(MEMBERS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "bob@example.com" in html and 'data-role="manager"' in html
    assert 'id="add-member-form"' not in html and 'data-action="remove-member"' not in html
    assert 'id="members-readonly"' in html


def test_the_settings_navigation_links_members_tokens_and_entities(client, carol):
    client.force_login(carol)
    html = client.get(MEMBERS).content.decode()
    for href in (MEMBERS, TOKENS, "/o/acme/settings/entities/"):
        assert f'href="{href}"' in html


def test_an_administrator_adds_a_new_user(client, org, alice):
    client.force_login(alice)
    response = client.post(
        MEMBERS,
        {
            "email": "Henry@Example.com",
            "name": "Henry",
            "password": "long enough pw",
            "role": "reviewer",
        },
    )
    assert response.status_code == 302 and response.url == MEMBERS
    membership = Membership.objects.get(organization=org, user__email="henry@example.com")
    assert membership.role == "reviewer" and membership.user.name == "Henry"
    assert membership.user.check_password("long enough pw")
    assert AuditEvent.objects.filter(organization=org, action="member.added").count() == 2
    page = client.get(MEMBERS).content.decode()
    assert "henry@example.com" in page


def test_an_administrator_adds_an_existing_user_without_a_password(
    client, org, alice, other_org, mallory
):
    client.force_login(alice)
    response = client.post(MEMBERS, {"email": "mallory@example.com", "role": "auditor"})
    assert response.status_code == 302
    assert role_of(org, mallory) == "auditor"


def test_a_client_member_gets_its_seller_entity(client, org, alice, entity):
    client.force_login(alice)
    client.post(
        MEMBERS,
        {
            "email": "ivy@example.com",
            "password": "long enough pw",
            "role": "client",
            "entity": str(entity.pk),
        },
    )
    membership = Membership.objects.get(organization=org, user__email="ivy@example.com")
    assert membership.role == "client" and membership.entity_id == entity.pk


def test_a_refused_addition_keeps_the_input_and_names_the_field(client, org, alice):
    client.force_login(alice)
    response = client.post(
        MEMBERS,
        {"email": "new@example.com", "name": "Newbie", "password": "short", "role": "operator"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="new@example.com"' in html and 'value="Newbie"' in html
    assert "8" in html and "is-invalid" in html
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_a_new_user_without_a_password_is_refused(client, org, alice):
    client.force_login(alice)
    response = client.post(MEMBERS, {"email": "new@example.com", "role": "operator"})
    assert response.status_code == 422
    assert "新用户需要密码" in response.content.decode() or "password" in response.content.decode()


def test_adding_someone_already_a_member_says_so(client, alice, bob):
    client.force_login(alice)
    response = client.post(MEMBERS, {"email": "bob@example.com", "role": "operator"})
    assert response.status_code == 422
    assert "bob@example.com" in response.content.decode()


def test_an_administrator_changes_a_role(client, org, alice, carol):
    client.force_login(alice)
    response = client.post(f"{MEMBERS}{carol.pk}/role/", {f"m{carol.pk}-role": "reviewer"})
    assert response.status_code == 302
    assert role_of(org, carol) == "reviewer"
    event = AuditEvent.objects.filter(organization=org, action="member.role_changed").get()
    assert event.changes["role"] == {"before": "operator", "after": "reviewer"}


def test_the_last_administrator_cannot_be_demoted_and_is_told_why(client, org, alice):
    client.force_login(alice)
    response = client.post(
        f"{MEMBERS}{alice.pk}/role/",
        {f"m{alice.pk}-role": "operator"},
        HTTP_REFERER="http://testserver" + MEMBERS,
        follow=True,
    )
    assert response.status_code == 200
    assert role_of(org, alice) == "admin"
    assert "至少保留一名管理员" in response.content.decode() or "administrator" in (
        response.content.decode()
    )


def test_an_administrator_removes_a_member(client, org, alice, carol):
    client.force_login(alice)
    response = client.post(f"{MEMBERS}{carol.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(organization=org, user=carol).exists()
    assert AuditEvent.objects.filter(organization=org, action="member.removed").exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (MEMBERS, {"email": "x@example.com", "role": "admin", "password": "long enough pw"}),
        ("role", {"role": "admin"}),
        ("remove", {}),
    ],
)
def test_a_non_administrator_cannot_manage_members_and_sees_the_reason(
    client, org, bob, carol, path, data
):
    client.force_login(bob)
    if path in {"role", "remove"}:
        data = {f"m{carol.pk}-{k}": v for k, v in data.items()}
        path = f"{MEMBERS}{carol.pk}/{path}/"
    response = client.post(path, data, HTTP_REFERER="http://testserver" + MEMBERS, follow=True)
    html = response.content.decode()
    assert "只有管理员可以管理成员" in html or "Only an administrator may manage members" in html
    assert role_of(org, carol) == "operator"
    assert not Membership.objects.filter(user__email="x@example.com").exists()


def test_changing_the_role_of_someone_outside_the_organization_is_not_found(
    client, alice, other_org, mallory
):
    client.force_login(alice)
    response = client.post(f"{MEMBERS}{mallory.pk}/role/", {f"m{mallory.pk}-role": "operator"})
    assert response.status_code == 404


# --- API tokens --------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_works_on_the_api(client, org, carol):
    client.force_login(carol)
    response = client.post(TOKENS, {"name": "ERP sync"}, follow=True)
    assert response.redirect_chain == [(TOKENS, 302)]  # reloading the page creates nothing more
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=carol)
    raw = response.context["created"]["raw"]
    html = response.content.decode()
    assert raw in html and 'id="copy-token"' in html
    assert user_for_token(raw) == carol
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    again = client.get(TOKENS).content.decode()
    assert raw not in again and token.prefix in again and "ERP sync" in again


def test_the_tokens_page_costs_a_bounded_number_of_queries(
    client, org, alice, carol, crowd, many_projects, django_assert_max_num_queries
):
    for i in range(15):
        issue_token(user=alice, name=f"mine {i}")
        issue_token(user=carol, name=f"carol {i}")
    client.force_login(alice)
    with django_assert_max_num_queries(7):
        response = client.get(TOKENS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "mine 14" in html and "carol 14" in html  # an admin sees the members' tokens too


def test_an_operator_sees_only_their_own_tokens(client, alice, carol):
    issue_token(user=alice, name="alice secret script")
    issue_token(user=carol, name="carol script")
    client.force_login(carol)
    html = client.get(TOKENS).content.decode()
    assert "carol script" in html and "alice secret script" not in html


def test_a_token_with_an_expiry_date(client, carol):
    client.force_login(carol)
    day = timezone.localdate() + dt.timedelta(days=10)
    client.post(TOKENS, {"name": "ci", "expires_on": day.isoformat()})
    token = ApiToken.objects.get(user=carol)
    assert timezone.localtime(token.expires_at).date() == day + dt.timedelta(days=1)


def test_a_refused_token_keeps_the_input(client, carol):
    client.force_login(carol)
    response = client.post(TOKENS, {"name": "ci", "expires_on": "2020-01-01"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="ci"' in html and "is-invalid" in html
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_page(client, org, carol):
    token, raw = issue_token(user=carol, name="laptop")
    client.force_login(carol)
    response = client.post(f"{TOKENS}{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    assert user_for_token(raw) is None
    assert 'data-status="revoked"' in response.content.decode()
    assert AuditEvent.objects.filter(organization=org, action="token.revoked").exists()


def test_another_users_token_cannot_be_revoked_from_the_page(client, bob, carol):
    token, raw = issue_token(user=carol, name="laptop")
    client.force_login(bob)
    assert client.post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    assert user_for_token(raw) == carol


def test_an_administrator_revokes_a_members_token_from_the_page(client, alice, carol):
    token, raw = issue_token(user=carol, name="lost laptop")
    client.force_login(alice)
    page = client.get(TOKENS).content.decode()
    assert "lost laptop" in page
    client.post(f"{TOKENS}{token.pk}/revoke/")
    assert user_for_token(raw) is None


# --- isolation ---------------------------------------------------------------------------------


def test_another_organizations_member_gets_404_on_every_settings_url(
    client, alice, carol, entity, other_org, mallory
):
    token, _raw = issue_token(user=carol, name="x")
    client.force_login(mallory)
    for path in (
        MEMBERS,
        f"{MEMBERS}{carol.pk}/role/",
        f"{MEMBERS}{carol.pk}/remove/",
        TOKENS,
        f"{TOKENS}{token.pk}/revoke/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {}).status_code == 404, path


def test_anonymous_visitors_are_sent_to_sign_in(client, org):
    for path in (MEMBERS, TOKENS):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response.url
