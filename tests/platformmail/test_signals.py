"""What the reading leaves on a project's mail: proposals with their sentence and confidence,
mail that may matter, the note where a platform tells results by SMS or in its seller centre,
and the registration mailbox through the API."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.support.gates import pass_gates
from tests.support.mail import english_message
from tests.support.seed import PASSWORD

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import PermissionDenied
from linkstar.platformmail.models import KeywordRule, ProjectMailbox, StageProposal
from linkstar.platformmail.services import (
    create_keyword_rule,
    ingest_message,
    set_project_mailbox,
)

ADDRESS = "xinghe-us@register.example.com"


@pytest.fixture
def mailbox(project, as_bob):
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    pass_gates(project)
    return ADDRESS


def _ingest(org, subject, body, mid, sender="seller-verification@amazon.com"):
    raw = english_message(to=ADDRESS, subject=subject, body=body, message_id=mid, sender=sender)
    return ingest_message(organization=org, raw=raw, source="imap").message


def _login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD) or client.login(
        username=user.email, password=PASSWORD
    )
    return client


def test_an_acknowledgement_with_a_conditional_rejection_proposes_under_review(org, mailbox):
    message = _ingest(
        org,
        "We have received your seller registration",
        "We have received your application and are reviewing it.\n\n"
        "If your application is not approved, we will tell you why.",
        "<ack@amazon.com>",
    )
    proposal = StageProposal.objects.get(message=message)
    assert proposal.stage == "under_review"
    assert proposal.sentence == "We have received your application and are reviewing it."
    assert proposal.confidence >= 70
    event = AuditEvent.objects.get(action="proposal.created", object_id=str(proposal.pk))
    assert event.changes["confidence"]["after"] == proposal.confidence


def test_a_weak_signal_is_listed_as_mail_that_may_matter(org, mailbox, bob, api):
    message = _ingest(
        org, "Thank you for applying", "See Seller Central for the next steps.", "<weak@amazon.com>"
    )
    message.refresh_from_db()
    assert not StageProposal.objects.filter(message=message).exists()
    assert message.may_matter and message.signal_stage == "under_review"
    assert message.signal_sentence == "Thank you for applying"
    items = api(bob).get("/orgs/acme/mail", may_matter="true").json()["items"]
    assert [m["id"] for m in items] == [message.pk]
    assert items[0]["signal"]["stage"] == "under_review" and items[0]["may_matter"] is True
    html = _login(bob).get("/o/acme/mail/?show=may_matter").content.decode()
    assert f'data-mail-id="{message.pk}"' in html and "data-may-matter" in html
    tab = _login(bob).get(f"/o/acme/projects/{message.project_id}/?tab=mail").content.decode()
    assert "data-may-matter" in tab


def test_a_newsletter_leaves_nothing(org, mailbox):
    message = _ingest(
        org,
        "Seller News: deal submissions open",
        "Once your deal has been approved, it appears on the Deals page.",
        "<news@amazon.com>",
        sender="seller-news@amazon.com",
    )
    message.refresh_from_db()
    assert not message.may_matter and not message.signal_stage
    assert not StageProposal.objects.filter(message=message).exists()


def test_the_proposal_shows_its_sentence_and_confidence(org, mailbox, project, as_bob, bob, api):
    from linkstar.projects.services import change_stage

    change_stage(actor=as_bob, project=project, stage="under_review")
    message = _ingest(
        org,
        "Your Amazon seller account",
        "Hello,\n\nGood news: your identity verification is complete and your account is "
        "active.\n\nAmazon",
        "<ok@amazon.com>",
    )
    proposal = StageProposal.objects.get(message=message)
    assert proposal.stage == "opened"
    assert "your account is active" in proposal.sentence
    shown = api(bob).get(f"/orgs/acme/mail/{message.pk}").json()["proposals"][0]
    assert (shown["sentence"], shown["confidence"]) == (proposal.sentence, proposal.confidence)
    listed = api(bob).get("/orgs/acme/stage-proposals").json()["items"][0]
    assert listed["sentence"] == proposal.sentence
    html = _login(bob).get(f"/o/acme/mail/{message.pk}/").content.decode()
    assert "data-proposal-sentence" in html and f'data-confidence="{proposal.confidence}"' in html


def test_an_organization_phrase_goes_through_the_same_reading(org, mailbox, project, as_alice):
    create_keyword_rule(
        actor=as_alice,
        platform="amazon",
        phrase="your case is with the review team",
        stage="under_review",
    )
    assert KeywordRule.objects.count() == 1
    hypothetical = _ingest(
        org, "Case 42", "If your case is with the review team, wait.", "<c1@amazon.com>"
    )
    assert not StageProposal.objects.filter(message=hypothetical).exists()
    said = _ingest(org, "Case 43", "Your case is with the review team.", "<c2@amazon.com>")
    assert StageProposal.objects.get(message=said).stage == "under_review"


def test_unmatched_mail_of_a_known_platform_is_read_too(org):
    raw = english_message(
        to="lost@register.example.com",
        subject="Your application has been rejected",
        body="We are unable to approve your application.",
        message_id="<lost@amazon.com>",
    )
    message = ingest_message(organization=org, raw=raw, source="imap").message
    message.refresh_from_db()
    assert message.project_id is None
    assert message.signal_stage == "rejected" and message.may_matter


# --- results told by SMS or in the seller centre ------------------------------------------


def test_results_by_note_names_the_platform_and_where_to_look():
    from django.utils import translation

    from linkstar.catalog.models import Platform
    from linkstar.platformmail.views import results_by_note

    temu = Platform(code="temu", name="Temu", name_en="Temu")
    with translation.override("zh-hans"):  # whatever an earlier test left active
        assert "短信" in results_by_note(temu) and "Temu" in results_by_note(temu)
    with translation.override("en"):
        assert "SMS" in results_by_note(temu)
    assert results_by_note(Platform(code="amazon", name="亚马逊", name_en="Amazon")) == ""
    assert results_by_note(Platform(code="no-such", name="X", name_en="X")) == ""
    assert results_by_note(None) == ""


# --- the registration mailbox through the API ---------------------------------------------


def test_mailbox_api_sets_and_clears_through_the_service(project, bob, carol, api):
    client = api(bob)
    url = f"/orgs/acme/projects/{project.pk}/mailbox"
    assert client.get(url).json()["address"] is None
    r = client.put(url, {"address": "Shop-US@Register.Example.com"})
    assert r.status_code == 200, r.content
    assert r.json()["address"] == "shop-us@register.example.com"
    assert ProjectMailbox.objects.get(project=project).address == "shop-us@register.example.com"
    assert AuditEvent.objects.filter(action="mailbox.set").exists()
    assert api(carol).put(url, {"address": "x@example.com"}).status_code == 403
    assert api(carol).get(url).json()["address"] == "shop-us@register.example.com"
    assert client.put(url, {"address": "not an address"}).status_code == 422
    assert client.delete(url).status_code == 204
    assert not ProjectMailbox.objects.filter(project=project).exists()
    assert AuditEvent.objects.filter(action="mailbox.cleared").exists()
    assert client.put(url, {"address": ""}).json()["address"] is None


def test_mailbox_api_refuses_another_projects_address(project, as_bob, bob, api, amazon_na, entity):
    from tests.support.seed import PROJECT_START

    from linkstar.projects.services import create_project

    second = create_project(
        actor=as_bob,
        template_id=amazon_na.pk,
        store_name="Xinghe Home CA",
        entity_id=entity.pk,
        start_date=PROJECT_START,
    )
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    r = api(bob).put(f"/orgs/acme/projects/{second.pk}/mailbox", {"address": ADDRESS})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "address"
    assert not ProjectMailbox.objects.filter(project=second).exists()


def test_an_operator_cannot_set_the_mailbox_through_the_service(project, as_carol):
    from linkstar.platformmail.services import set_project_mailbox as set_box

    with pytest.raises(PermissionDenied):
        set_box(actor=as_carol, project=project, address="a@b.example")


def test_a_temu_projects_mail_tab_says_results_come_by_sms_and_seller_centre(project, bob, api):
    from linkstar.catalog.models import Site
    from linkstar.projects.models import StoreProject

    temu = Site.objects.filter(platform__code="temu").first()
    assert temu is not None
    StoreProject.objects.filter(pk=project.pk).update(site=temu)
    html = _login(bob).get(f"/o/acme/projects/{project.pk}/?tab=mail").content.decode()
    assert 'id="mail-results-by"' in html and "短信" in html
    body = api(bob).get(f"/orgs/acme/projects/{project.pk}/mailbox").json()
    assert body["results_by"] == "sms_and_seller_centre"


def test_an_amazon_projects_mail_tab_has_no_such_note(project, bob):
    html = _login(bob).get(f"/o/acme/projects/{project.pk}/?tab=mail").content.decode()
    assert 'id="mail-results-by"' not in html
