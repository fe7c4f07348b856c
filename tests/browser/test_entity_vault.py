"""The entity page and the store credentials in a real browser: an administrator records people
and a card, reveals an ID number with a reason (shown in place, audited); an operator sees only
masked values; the project's manager adds, reveals, rotates and revokes a store credential."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.entities.models import EntityCard, EntityPerson, StoreCredential
from tests.support.browser import login, screenshot
from tests.support.vault import OWNER_ID, SECRET, Vault, database_dump, make_vault

pytestmark = pytest.mark.django_db(transaction=True)

CARD = "5555 5555 5555 4444"


@pytest.fixture
def vault(as_alice, as_bob, entity, project) -> Vault:
    return make_vault(as_alice, as_bob, entity, project)


def test_an_administrator_records_people_and_cards_and_reveals_with_a_reason(page, alice, vault):
    login(page, alice)
    page.goto(page.base_url + f"/o/acme/settings/entities/{vault.entity.pk}/")
    assert page.locator("#company-section").is_visible()
    assert OWNER_ID not in page.content()
    screenshot(page, "entity-vault-page")

    # Add a beneficial owner from the people section.
    page.click("[data-action=add-person]")
    page.select_option("#id_new-person-role", "beneficial_owner")
    page.fill("#id_new-person-name", "赵敏")
    page.fill("#id_new-person-id_number", "330106199002159876")
    page.fill("#id_new-person-ownership_percent", "40")
    with page.expect_navigation():
        page.click("[data-action=save-person]")
    person = EntityPerson.objects.get(name="赵敏")
    row = page.locator(f'#person-table tr[data-record-id="{person.pk}"]')
    assert "33************9876" in row.inner_text()
    assert "330106199002159876" not in page.content()

    # Add a card: the number is gone from the page and the database once saved.
    page.click("[data-action=add-card]")
    page.fill("#id_new-card-card_number", CARD)
    page.fill("#id_new-card-holder", "ZHAO MIN")
    page.fill("#id_new-card-expiry_month", "8")
    page.fill("#id_new-card-expiry_year", "2030")
    with page.expect_navigation():
        page.click("[data-action=save-card]")
    card = EntityCard.objects.get(holder="ZHAO MIN")
    assert card.last4 == "4444" and card.brand == "mastercard"
    assert CARD.replace(" ", "") not in page.content().replace(" ", "")
    assert CARD.replace(" ", "") not in database_dump().replace(" ", "")

    # Reveal without a reason is refused in the dialog; with one, the value shows in place.
    target = f"#secret-person-{vault.owner.pk}-id_number"
    page.click(f'[data-reveal][data-target="secret-person-{vault.owner.pk}-id_number"]')
    page.wait_for_selector("#reveal-modal.show")
    page.click("#reveal-submit")
    page.wait_for_selector("#reveal-reason.is-invalid")
    assert page.locator("#reveal-error").inner_text().strip()
    assert not AuditEvent.objects.filter(action="secret.revealed").exists()
    page.fill("#reveal-reason", "filling in the Amazon KYC form")
    page.click("#reveal-submit")
    page.wait_for_selector(f"{target}[data-revealed=true]")
    assert page.locator(target).inner_text() == OWNER_ID
    page.wait_for_selector("#reveal-modal", state="hidden")
    screenshot(page, "entity-vault-revealed")
    event = AuditEvent.objects.get(action="secret.revealed")
    assert event.actor_id == alice.pk
    assert event.changes == {"field": "id_number", "reason": "filling in the Amazon KYC form"}
    # A reload shows it masked again.
    page.reload()
    assert page.locator(target).inner_text() == "11************4514"


def test_an_operator_sees_masked_values_and_no_reveal(page, carol, vault):
    login(page, carol)
    page.goto(page.base_url + f"/o/acme/settings/entities/{vault.entity.pk}/")
    assert page.locator("#reveal-note").is_visible()
    assert page.locator("[data-reveal]").count() == 0
    assert page.locator("[data-action=add-person]").count() == 0
    assert "11************4514" in page.content() and OWNER_ID not in page.content()
    screenshot(page, "entity-vault-operator")


def test_the_manager_manages_and_reveals_store_credentials(page, bob, vault):
    login(page, bob)
    page.goto(page.base_url + f"/o/acme/projects/{vault.credential.project_id}/")
    with page.expect_navigation():
        page.click("#project-credentials")
    assert page.locator("#credential-table").is_visible()
    assert SECRET not in page.content()

    # Add the ERP token.
    page.select_option("#id_new-kind", "erp_token")
    page.fill("#id_new-label", "积加 ERP")
    page.fill("#id_new-secret", "jj-token-0001")
    with page.expect_navigation():
        page.click("#credential-save")
    added = StoreCredential.objects.get(label="积加 ERP")
    assert "jj-token-0001" not in page.content()

    # Reveal the platform password.
    target = f"secret-credential-{vault.credential.pk}-secret"
    page.click(f'[data-reveal][data-target="{target}"]')
    page.wait_for_selector("#reveal-modal.show")
    page.fill("#reveal-reason", "logging in to fix the listing")
    page.click("#reveal-submit")
    page.wait_for_selector(f"#{target}[data-revealed=true]")
    assert page.locator(f"#{target}").inner_text() == SECRET
    page.wait_for_selector("#reveal-modal", state="hidden")
    screenshot(page, "store-credentials")

    # Rotate the new token, then revoke it.
    row = page.locator(f'#credential-table tr[data-credential-id="{added.pk}"]')
    with page.expect_navigation():
        row.locator("[data-action=rotate]").click()
    page.fill("#id_secret", "jj-token-0002")
    with page.expect_navigation():
        page.click("#rotate-save")
    added.refresh_from_db()
    assert added.secret == "jj-token-0002" and added.rotated_at is not None
    row = page.locator(f'#credential-table tr[data-credential-id="{added.pk}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("[data-action=revoke]").click()
    row = page.locator(f'#credential-table tr[data-credential-id="{added.pk}"]')
    assert row.locator("[data-status=revoked]").count() == 1
    added.refresh_from_db()
    assert added.secret == ""
    screenshot(page, "store-credentials-revoked")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "credential.created",
        "credential.rotated",
        "credential.revoked",
        "secret.revealed",
    } <= actions
