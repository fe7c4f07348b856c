"""A person decides what the platform's mail proposes; the API and the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.support.gates import pass_gates
from tests.support.mail import chinese_message, english_message, pdf_bytes
from tests.support.seed import PASSWORD

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict, PermissionDenied
from linkstar.platformmail.models import InboundMessage, StageProposal
from linkstar.platformmail.services import (
    accept_proposal,
    assign_message,
    dismiss_proposal,
    ingest_message,
    set_project_mailbox,
)

ADDRESS = "xinghe-us@register.example.com"


@pytest.fixture
def proposal(org, project, as_bob) -> StageProposal:
    """Bob's project is preparing; the platform writes that the application is under review."""
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    pass_gates(project)
    message = ingest_message(organization=org, raw=english_message(to=ADDRESS), source="imap")
    return StageProposal.objects.get(message=message.message)


def test_the_manager_accepts_and_the_stage_moves_as_him(proposal, project, as_bob, bob):
    accept_proposal(actor=as_bob, proposal=proposal)
    project.refresh_from_db()
    proposal.refresh_from_db()
    assert project.stage == "under_review"
    assert (proposal.status, proposal.decided_by_id) == ("accepted", bob.pk)
    change = project.stage_changes.get(to_stage="under_review")
    assert change.actor_id == bob.pk
    assert "under review" in change.note
    assert AuditEvent.objects.filter(action="proposal.accepted", actor_id=bob.pk).exists()
    with pytest.raises(Conflict):
        accept_proposal(actor=as_bob, proposal=proposal)


def test_an_operator_cannot_accept(proposal, project, as_carol):
    with pytest.raises(PermissionDenied):
        accept_proposal(actor=as_carol, proposal=proposal)
    project.refresh_from_db()
    assert project.stage == "preparing"
    assert StageProposal.objects.get(pk=proposal.pk).status == "pending"


def test_dismiss_records_who_and_why(proposal, project, as_bob, bob):
    dismiss_proposal(actor=as_bob, proposal=proposal, reason="a marketing mail")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by_id, proposal.reason) == (
        "dismissed",
        bob.pk,
        "a marketing mail",
    )
    project.refresh_from_db()
    assert project.stage == "preparing"
    assert AuditEvent.objects.filter(action="proposal.dismissed").exists()


def test_assigning_unmatched_mail_files_its_attachments_and_applies_rules(
    org, project, as_bob, as_carol
):
    raw = english_message(
        to="lost@register.example.com", sender="x@forwarder.example", pdf=pdf_bytes()
    )
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert message.project_id is None
    assert message.attachments.get().document_id is None
    with pytest.raises(PermissionDenied):
        assign_message(actor=as_carol, message=message, project=project)
    assign_message(actor=as_bob, message=message, project=project)
    message.refresh_from_db()
    assert message.project_id == project.pk and message.matched_by == "manual"
    assert message.attachments.get().document_id is not None
    assert StageProposal.objects.get(message=message).stage == "under_review"
    assert AuditEvent.objects.filter(action="mail.assigned").exists()


# --- API -----------------------------------------------------------------------------------


def test_inbound_mail_api_takes_raw_rfc822(org, project, bob, api, as_bob):
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    client = api(bob)
    raw = chinese_message(to=ADDRESS)
    r = client.client.post(
        "/api/v1/orgs/acme/inbound-mail",
        data=raw,
        content_type="message/rfc822",
        **client._headers(),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["subject"] == "亚马逊卖家身份验证：需要补充资料"
    assert body["project_id"] == project.pk and body["duplicate"] is False
    r = client.client.post(
        "/api/v1/orgs/acme/inbound-mail",
        data=raw,
        content_type="message/rfc822",
        **client._headers(),
    )
    assert r.status_code == 200 and r.json()["duplicate"] is True
    listed = client.get("/orgs/acme/mail").json()
    assert listed["count"] == 1
    assert client.get(f"/orgs/acme/projects/{project.pk}/mail").json()["count"] == 1
    detail = client.get(f"/orgs/acme/mail/{body['id']}").json()
    assert "营业执照" in detail["text_body"]


def test_inbound_mail_api_refuses_an_operator(org, carol, api):
    client = api(carol)
    r = client.client.post(
        "/api/v1/orgs/acme/inbound-mail",
        data=english_message(to=ADDRESS),
        content_type="message/rfc822",
        **client._headers(),
    )
    assert r.status_code == 403
    assert not InboundMessage.objects.exists()


def test_operator_sees_mail_of_her_projects_only_and_no_unmatched(org, project, carol, api, as_bob):
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    ingest_message(organization=org, raw=english_message(to=ADDRESS), source="upload")
    ingest_message(
        organization=org,
        raw=english_message(to="x@y.example", sender="a@b.example", message_id="<u@b>"),
        source="upload",
    )
    items = api(carol).get("/orgs/acme/mail").json()["items"]
    assert [m["project_id"] for m in items] == [project.pk]
    assert api(carol).get("/orgs/acme/mail", unmatched="true").json()["count"] == 0


def test_mail_account_password_is_never_shown(org, alice, api):
    r = api(alice).post(
        "/orgs/acme/mail-accounts",
        {"name": "reg", "host": "imap.example.com", "username": "u", "password": "s3cret-pass"},
    )
    assert r.status_code == 201, r.content
    assert "s3cret" not in r.content.decode()
    listed = api(alice).get("/orgs/acme/mail-accounts").content.decode()
    assert "s3cret" not in listed
    event = AuditEvent.objects.get(action="mail_account.created")
    assert "s3cret" not in str(event.changes)


def test_proposal_api_accept_by_manager_and_not_by_operator(proposal, project, bob, carol, api):
    r = api(carol).post(f"/orgs/acme/stage-proposals/{proposal.pk}/accept", {})
    assert r.status_code == 403
    r = api(bob).post(f"/orgs/acme/stage-proposals/{proposal.pk}/accept", {})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    project.refresh_from_db()
    assert project.stage == "under_review"


# --- pages ---------------------------------------------------------------------------------


def _login(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD) or client.login(
        username=user.email, password=PASSWORD
    )
    return client


def test_mail_tab_shows_the_timeline_in_a_sandbox(proposal, project, bob):
    client = _login(bob)
    r = client.get(f"/o/acme/projects/{project.pk}/?tab=mail")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-tab="mail"' in html
    assert "Your application is under review" in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert f'data-proposal-id="{proposal.pk}"' in html
    assert 'data-action="accept"' in html


def test_operator_sees_the_tab_without_accept_buttons(proposal, project, carol):
    html = _login(carol).get(f"/o/acme/projects/{project.pk}/?tab=mail").content.decode()
    assert f'data-proposal-id="{proposal.pk}"' in html
    assert 'data-action="accept"' not in html


def test_mail_tab_query_count_does_not_grow_with_messages(
    org, project, bob, as_bob, django_assert_max_num_queries
):
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    client = _login(bob)

    def load() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/o/acme/projects/{project.pk}/?tab=mail").status_code == 200
        return len(ctx.captured_queries)

    ingest_message(
        organization=org, raw=english_message(to=ADDRESS, pdf=pdf_bytes()), source="upload"
    )
    one = load()
    for i in range(6):
        raw = english_message(to=ADDRESS, message_id=f"<m{i}@amazon.com>", pdf=pdf_bytes(f"n{i}"))
        ingest_message(organization=org, raw=raw, source="upload")
    many = load()
    assert many == one
    with django_assert_max_num_queries(one):
        client.get(f"/o/acme/projects/{project.pk}/?tab=mail")


def test_upload_eml_page_and_assign(org, project, alice, carol):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _login(alice)
    raw = english_message(to="nobody@x.example", sender="a@b.example")
    r = client.post("/o/acme/mail/", {"file": SimpleUploadedFile("m.eml", raw)})
    message = InboundMessage.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/mail/{message.pk}/")
    page = client.get("/o/acme/mail/?show=unmatched").content.decode()
    assert f'data-mail-id="{message.pk}"' in page
    r = client.post(f"/o/acme/mail/{message.pk}/assign/", {"project_id": project.pk})
    assert r.status_code == 302
    message.refresh_from_db()
    assert message.project_id == project.pk
    # an operator has no upload form and may not post one
    assert 'id="eml-upload-form"' not in _login(carol).get("/o/acme/mail/").content.decode()


def test_mail_settings_page_is_for_admins(org, alice, bob):
    assert _login(alice).get("/o/acme/settings/mail/").status_code == 200
    assert _login(bob).get("/o/acme/settings/mail/").status_code == 403


def test_mail_list_endpoint_and_inbox_page_cost_fixed_queries(
    org, project, alice, as_bob, api, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    client, browser = api(alice), _login(alice)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as api_ctx:
            assert client.get("/orgs/acme/mail").status_code == 200
        with CaptureQueriesContext(connection) as page_ctx:
            assert browser.get("/o/acme/mail/").status_code == 200
        return len(api_ctx.captured_queries), len(page_ctx.captured_queries)

    ingest_message(organization=org, raw=english_message(to=ADDRESS), source="upload")
    counts()  # the first calls note the token's use and fill the session
    few = counts()
    for i in range(5):
        raw = english_message(to=f"x{i}@y.example", sender="a@b.example", message_id=f"<q{i}@b>")
        ingest_message(organization=org, raw=raw, source="upload")
    assert counts() == few
    with django_assert_max_num_queries(few[0]):
        client.get("/orgs/acme/mail")


def test_archive_hook_gives_each_message_and_an_index(org, project, as_bob):
    from linkstar.platformmail.archive import mail_for_archive

    assert mail_for_archive(project) == []
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    raw = chinese_message(to=ADDRESS)
    message = ingest_message(organization=org, raw=raw, source="imap").message
    files = dict(mail_for_archive(project))
    assert files[f"mail/20261102-{message.pk}.eml"] == raw
    index = files["mail/index.csv"].decode("utf-8-sig")
    assert "亚马逊卖家身份验证：需要补充资料" in index and "seller-verification@amazon.com" in index


def test_an_unparsable_message_via_the_api_is_kept(org, bob, api):
    client = api(bob)
    r = client.client.post(
        "/api/v1/orgs/acme/inbound-mail",
        data=b"garbage without headers\r\n",
        content_type="message/rfc822",
        **client._headers(),
    )
    assert r.status_code == 201
    assert r.json()["parse_status"] == "unparsable" and r.json()["parse_error"]
