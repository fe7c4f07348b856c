"""Bringing platform mail in: parsing, decoding Chinese, sanitising, matching, duplicates,
attachments into the vault, keyword rules → proposals."""

from __future__ import annotations

import pytest
from tests.support.mail import (
    MALFORMED,
    MALFORMED_TEXT,
    chinese_message,
    english_message,
    gb2312_word,
    pdf_bytes,
)

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import PermissionDenied
from linkstar.documents.models import Document
from linkstar.notifications.models import Event
from linkstar.platformmail import parsing
from linkstar.platformmail.models import InboundMessage, StageProposal
from linkstar.platformmail.services import ingest_message, set_project_mailbox
from linkstar.platformmail.storage import read_raw

ADDRESS = "xinghe-us@register.example.com"


@pytest.fixture
def mailbox(project, as_bob):
    return set_project_mailbox(actor=as_bob, project=project, address=ADDRESS.upper())


def test_gb2312_subject_and_body_are_decoded():
    parsed = parsing.parse(chinese_message(to=ADDRESS))
    assert parsed.subject == "亚马逊卖家身份验证：需要补充资料"
    assert parsed.from_name == "亚马逊"
    assert parsed.from_address == "seller-verification@amazon.com"
    assert "请在 7 天内上传营业执照" in parsed.text


def test_gbk_only_characters_labelled_gb2312_still_decode():
    # 镕 is in GBK but not GB2312: mail programs label such text gb2312 anyway
    word = "=?gb2312?B?" + __import__("base64").b64encode("朱镕基".encode("gbk")).decode() + "?="
    assert parsing.decode_header_text(word) == "朱镕基"
    assert parsing.decode_header_text(gb2312_word("审核通过")) == "审核通过"


def test_sanitiser_removes_script_handlers_and_remote_images():
    html = (
        '<p onclick="steal()">Hello<script>alert(1)</script></p>'
        '<style>p{color:red}</style><iframe src="https://evil.example"></iframe>'
        '<img src="https://tracker.example/pixel.gif"><img src="cid:logo@amazon">'
        '<a href="https://sellercentral.amazon.com">open</a><a href="javascript:alert(1)">x</a>'
    )
    clean = parsing.sanitize_html(html)
    assert "script" not in clean and "alert" not in clean
    assert "onclick" not in clean and "iframe" not in clean and "style" not in clean
    assert "tracker.example" not in clean
    assert 'src="cid:logo@amazon"' in clean
    assert 'rel="noopener noreferrer"' in clean
    assert "javascript:" not in clean


def test_a_message_to_the_project_mailbox_is_matched_and_audited(org, project, mailbox):
    outcome = ingest_message(
        organization=org, raw=english_message(to=f"Shop <{ADDRESS}>"), source="upload"
    )
    message = outcome.message
    assert outcome.created
    assert message.project_id == project.pk
    assert message.matched_by == "recipient"
    assert message.sender_platform == "amazon"
    assert message.subject == "Your application is under review"
    assert read_raw(message) == english_message(to=f"Shop <{ADDRESS}>")
    event = AuditEvent.objects.get(action="mail.imported", object_id=str(message.pk))
    assert event.project_id == project.pk
    assert Event.objects.filter(kind="mail.received", project=project).count() == 1


def test_delivered_to_header_matches_too(org, project, mailbox):
    raw = b"Delivered-To: " + ADDRESS.encode() + b"\r\n" + english_message(to="all@agency.example")
    message = ingest_message(organization=org, raw=raw, source="api").message
    assert message.project_id == project.pk


def test_a_duplicate_is_imported_once(org, project, mailbox):
    raw = english_message(to=ADDRESS)
    first = ingest_message(organization=org, raw=raw, source="upload")
    again = ingest_message(organization=org, raw=raw, source="api")
    # the same Message-ID arriving through another mailbox (other bytes) is the same message
    forwarded = ingest_message(
        organization=org, raw=b"X-Original-To: other@x.example\r\n" + raw, source="imap"
    )
    assert first.created and not again.created and not forwarded.created
    assert again.message.pk == first.message.pk == forwarded.message.pk
    assert InboundMessage.objects.count() == 1
    assert AuditEvent.objects.filter(action="mail.imported").count() == 1


def test_the_same_message_in_two_organizations_is_kept_by_each(org, other_org, project, mailbox):
    raw = english_message(to=ADDRESS)
    ingest_message(organization=org, raw=raw, source="upload")
    theirs = ingest_message(organization=other_org, raw=raw, source="upload")
    assert theirs.created and theirs.message.project_id is None


@pytest.mark.parametrize("raw", [MALFORMED, MALFORMED_TEXT])
def test_a_malformed_message_is_recorded_as_unparsable(org, raw):
    outcome = ingest_message(organization=org, raw=raw, source="upload")
    message = outcome.message
    assert outcome.created
    assert message.parse_status == "unparsable"
    assert message.parse_error
    assert message.project_id is None
    assert read_raw(message) == raw


def test_unmatched_mail_is_kept_for_assignment(org, project):
    raw = english_message(to="someone-else@register.example.com", sender="x@random.example")
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert message.project_id is None and message.matched_by == ""


def test_sender_domain_matches_when_one_open_project_is_on_that_platform(org, project):
    raw = english_message(to="unknown@register.example.com", sender="notice@ebay.com")
    assert ingest_message(organization=org, raw=raw, source="upload").message.project_id is None
    raw = english_message(to="unknown@register.example.com", message_id="<amz-2@amazon.com>")
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert message.project_id == project.pk
    assert message.matched_by == "sender_domain"


def test_a_pdf_attachment_is_filed_in_the_vault_and_a_refused_one_says_why(
    org, project, entity, mailbox
):
    raw = english_message(
        to=ADDRESS,
        subject="Documents",
        body="See attached.",
        pdf=pdf_bytes(),
        extra_attachment=("run-me.exe", b"MZ\x90\x00 not allowed", "application/octet-stream"),
    )
    message = ingest_message(organization=org, raw=raw, source="upload").message
    pdf, exe = list(message.attachments.order_by("position"))
    assert pdf.filename == "营业执照补充说明.pdf"
    assert pdf.document is not None
    document = Document.objects.get(pk=pdf.document_id)
    assert document.entity_id == entity.pk
    assert document.document_type.code == "platform_mail"
    assert document.content_type == "application/pdf"
    assert exe.document is None
    assert ".exe" in exe.refused_reason


def test_chinese_needs_info_mail_proposes_a_stage_to_the_manager(org, project, mailbox, bob):
    project.stage = "under_review"
    project.save(update_fields=["stage"])
    message = ingest_message(
        organization=org, raw=chinese_message(to=ADDRESS), source="imap"
    ).message
    proposal = StageProposal.objects.get(message=message)
    assert (proposal.from_stage, proposal.stage, proposal.status) == (
        "under_review",
        "needs_info",
        "pending",
    )
    event = Event.objects.get(kind="mail.stage_proposed")
    assert event.project_id == project.pk
    assert event.data["to"] == "needs_info"
    project.refresh_from_db()
    assert project.stage == "under_review"  # nothing moves by itself


def test_no_proposal_for_a_move_the_stage_machine_lacks(org, project, mailbox):
    # preparing → opened does not exist: an "approved" mail proposes nothing
    raw = english_message(to=ADDRESS, subject="Your application has been approved", body="ok")
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert not StageProposal.objects.filter(message=message).exists()


def test_mail_from_another_platform_proposes_nothing(org, project, mailbox):
    raw = english_message(to=ADDRESS, sender="noreply@ebay.com")
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert message.project_id == project.pk
    assert not StageProposal.objects.exists()


def test_an_organization_rule_adds_a_phrase(org, project, mailbox, as_alice):
    from linkstar.platformmail.services import create_keyword_rule

    create_keyword_rule(
        actor=as_alice, platform="amazon", phrase="资料已提交成功", stage="under_review"
    )
    raw = english_message(to=ADDRESS, subject="通知", body="您的资料已提交成功。")
    message = ingest_message(organization=org, raw=raw, source="upload").message
    assert StageProposal.objects.get(message=message).stage == "under_review"


def test_an_operator_may_not_import_mail(org, as_carol):
    with pytest.raises(PermissionDenied):
        ingest_message(
            organization=org, raw=english_message(to=ADDRESS), source="upload", actor=as_carol
        )
    assert not InboundMessage.objects.exists()


def test_mailbox_addresses_are_unique_in_the_organization(
    org, project, mailbox, as_bob, amazon_na, entity
):
    from linkstar.core.exceptions import InvalidInput
    from linkstar.projects.services import create_project

    other = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Other", entity_id=entity.pk
    )
    with pytest.raises(InvalidInput) as exc:
        set_project_mailbox(actor=as_bob, project=other, address=ADDRESS)
    assert exc.value.errors[0].field == "address"
