"""Organization settings and the audit log in a real browser: an administrator manages members
and API tokens, an operator only reads, an auditor filters the log and verifies the chain (and
sees the break after a row is changed behind LinkStar's back)."""

from __future__ import annotations

import pytest
from django.db import connection

from linkstar.accounts.models import ApiToken, Membership
from linkstar.audit.models import AuditEvent
from linkstar.projects.services import change_stage, update_project
from tests.support.browser import login, screenshot
from tests.support.gates import pass_gates


@pytest.mark.django_db(transaction=True)
def test_an_administrator_adds_a_member_changes_a_role_and_manages_a_token(
    page, org, alice, bob, carol, entity
):
    login(page, alice)
    page.goto(page.base_url + "/o/acme/settings/members/")
    assert page.locator("#settings-nav [data-tab=members].active").count() == 1

    # Add a new user as a reviewer.
    page.fill("#id_email", "henry@example.com")
    page.select_option("#id_role", "reviewer")
    page.fill("#id_name", "Henry")
    page.fill("#id_password", "long enough pw")
    with page.expect_navigation():
        page.click("#add-member-submit")
    row = page.locator('tr[data-member="henry@example.com"]')
    assert row.count() == 1
    assert page.locator("#flash .alert-success").count() == 1
    henry = Membership.objects.get(organization=org, user__email="henry@example.com")
    assert henry.role == "reviewer"

    # Make him a manager from his row.
    row.locator("select[name$='-role']").select_option("manager")
    with page.expect_navigation():
        row.locator("[data-action=change-role]").click()
    henry.refresh_from_db()
    assert henry.role == "manager"
    assert page.locator(
        'tr[data-member="henry@example.com"] select[name$="-role"]'
    ).input_value() == ("manager")
    # Choosing the client role reveals the seller entity field.
    row = page.locator('tr[data-member="henry@example.com"]')
    assert not row.locator(".ls-client-entity").is_visible()
    row.locator("select[name$='-role']").select_option("client")
    assert row.locator(".ls-client-entity").is_visible()
    row.locator("select[name$='-role']").select_option("manager")
    screenshot(page, "settings-members")

    # A token: created, shown once with a copy button, usable, then revoked.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    with page.expect_navigation():
        page.click("#settings-nav [data-tab=tokens]")
    page.fill("#id_name", "ERP sync")
    with page.expect_navigation():
        page.click("#create-token")
    raw = page.input_value("#new-token")
    assert raw.startswith("lsk_")
    page.click("#copy-token")
    page.wait_for_selector("#copy-token.btn-success")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    screenshot(page, "settings-tokens-created")

    api = page.request.get(page.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert api.status == 200 and api.json()["email"] == "alice@example.com"

    page.goto(page.base_url + "/o/acme/settings/tokens/")
    assert page.locator("#new-token").count() == 0
    assert raw not in page.content()
    token = ApiToken.objects.get(user=alice, name="ERP sync")
    row = page.locator(f'#token-table tr[data-token-id="{token.pk}"]')
    assert row.locator("[data-status=active]").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("[data-action=revoke]").click()
    assert page.locator(
        f'#token-table tr[data-token-id="{token.pk}"] [data-status=revoked]'
    ).count()
    api = page.request.get(page.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert api.status == 401

    with page.expect_navigation():
        page.click("#settings-nav [data-tab=entities]")
    assert page.locator(f'#entity-table tr[data-entity-id="{entity.pk}"]').count() == 1
    assert "440301198805121234" not in page.content()
    screenshot(page, "settings-entities")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/o/acme/settings/members/")
    screenshot(page, "settings-members-phone")


@pytest.mark.django_db(transaction=True)
def test_an_operator_reads_the_settings_but_gets_no_forms(page, org, alice, bob, carol, entity):
    login(page, carol)
    page.goto(page.base_url + "/o/acme/settings/members/")
    assert page.locator('tr[data-member="bob@example.com"] [data-role=manager]').count() == 1
    assert page.locator("#add-member-form").count() == 0
    assert page.locator("[data-action=remove-member]").count() == 0
    assert page.locator("#members-readonly").is_visible()
    page.goto(page.base_url + "/o/acme/settings/entities/")
    assert page.locator("#new-entity").count() == 0
    assert page.locator("[data-action=edit]").count() == 0
    response = page.goto(page.base_url + "/o/acme/audit/")
    assert response.status == 403
    assert "只有管理员和审计员可以查看操作日志" in page.locator("#forbidden").inner_text()


@pytest.mark.django_db(transaction=True)
def test_an_auditor_filters_the_log_and_verifies_the_chain(page, org, frank, project, as_bob):
    update_project(actor=as_bob, project=project, store_name="Xinghe Home America")
    project.refresh_from_db()
    pass_gates(project)
    change_stage(actor=as_bob, project=project, stage="under_review", note="submitted")

    login(page, frank)
    page.goto(page.base_url + "/o/acme/audit/")
    assert page.locator("body[data-section=audit]").count() == 1
    first = page.locator("#audit-table tbody tr").first
    assert first.locator("[data-action]").get_attribute("data-action") == "project.stage_changed"
    assert first.locator(f'[data-project-link="{project.pk}"]').count() == 1
    screenshot(page, "audit-log")

    page.select_option("#id_action", "project.updated")
    with page.expect_navigation():
        page.click("#audit-filter-submit")
    actions = page.locator("#audit-table tbody [data-action]").evaluate_all(
        "els => els.map(e => e.dataset.action)"
    )
    assert actions == ["project.updated"]
    assert "Xinghe Home America" in page.locator("#audit-table").inner_text()

    with page.expect_response(lambda r: "/audit/verify/" in r.url):
        page.click("#verify-chain")
    page.wait_for_selector("#verify-ok")
    assert page.locator("#audit-table").count() == 1  # swapped in place, no navigation
    screenshot(page, "audit-verify-ok")

    altered = AuditEvent.objects.get(organization=org, action="project.updated")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s WHERE id = %s",
            ["someone-else@example.com", altered.pk],
        )
    with page.expect_response(lambda r: "/audit/verify/" in r.url):
        page.click("#verify-chain")
    page.wait_for_selector("#verify-broken")
    broken = page.locator("#verify-broken")
    assert broken.get_attribute("data-first-bad-seq") == str(altered.seq)
    assert f"#{altered.seq}" in page.locator("#verify-reason").inner_text()
    assert "someone-else@example.com" in broken.inner_text()
    screenshot(page, "audit-verify-broken")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/o/acme/audit/")
    screenshot(page, "audit-log-phone")
