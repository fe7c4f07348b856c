"""Permission-matrix entries of the platform mail endpoints."""

from __future__ import annotations

from tests.support.matrix import NO_ADMIN, Case, Multipart
from tests.support.world import World

ADDRESS = "matrix@register.example.com"


def _eml(subject: str = "Your application is under review", mid: str = "<matrix@amazon.com>"):
    from tests.support.mail import english_message

    return english_message(to=ADDRESS, subject=subject, message_id=mid)


def _mailbox(w: World) -> None:
    from linkstar.platformmail.models import ProjectMailbox

    ProjectMailbox.objects.get_or_create(
        organization=w.org, project=w.project, defaults={"address": ADDRESS}
    )


def _mail_id(w: World) -> int:
    """A message of bob's project (Xinghe), imported by the poller."""
    from linkstar.platformmail.services import ingest_message

    if not hasattr(w, "_mail"):
        _mailbox(w)
        w._mail = ingest_message(organization=w.org, raw=_eml(), source="imap").message
    return w._mail.pk


def _unmatched_mail_id(w: World) -> int:
    from linkstar.platformmail.services import ingest_message
    from tests.support.mail import english_message

    if not hasattr(w, "_unmatched"):
        raw = english_message(to="lost@x.example", sender="a@forwarder.example", message_id="<u@f>")
        w._unmatched = ingest_message(organization=w.org, raw=raw, source="imap").message
    return w._unmatched.pk


def _project_with_mailbox(w: World) -> int:
    """Bob's project (Xinghe), with a registration mailbox to clear."""
    _mailbox(w)
    return w.project.pk


def _proposal_id(w: World) -> int:
    """A pending proposal preparing → under_review of bob's project, gates passed."""
    from linkstar.platformmail.models import StageProposal
    from tests.support.gates import pass_gates

    _mail_id(w)
    pass_gates(w.project)
    return StageProposal.objects.get(message_id=w._mail.pk).pk


def _account_id(w: World) -> int:
    from linkstar.platformmail.services import create_mail_account

    if not hasattr(w, "_account"):
        w._account = create_mail_account(
            actor=w.actor("alice"),
            name="Registration",
            host="imap.example.com",
            username="reg@example.com",
            password="imap password",
        )
    return w._account.pk


def _inbound_body(w: World) -> Multipart:
    _mailbox(w)
    return Multipart(file=lambda: _upload())


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("mail.eml", _eml("Inbound", "<inbound@amazon.com>"), "message/rfc822")


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/orgs/{org}/inbound-mail"): Case(
        ok="bob", status=201, denied=("carol", "dave", "frank", "grace"), body=_inbound_body
    ),
    ("GET", "/orgs/{org}/mail"): Case(ok="carol", status=200),
    ("GET", "/orgs/{org}/mail/{mail_id}"): Case(ok="carol", status=200, client_hidden=True),
    ("POST", "/orgs/{org}/mail/{mail_id}/assign"): Case(
        ok="bob",
        status=200,
        denied=("dave", "frank"),
        ids={"mail_id": _unmatched_mail_id},
        body=lambda w: {"project_id": w.project.pk},
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/mail"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/mailbox"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("PUT", "/orgs/{org}/projects/{project_id}/mailbox"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"address": "xinghe-api@register.example.com"},
    ),
    ("DELETE", "/orgs/{org}/projects/{project_id}/mailbox"): Case(
        ok="bob",
        status=204,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": _project_with_mailbox},
    ),
    ("GET", "/orgs/{org}/stage-proposals"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/stage-proposals/{proposal_id}/accept"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"note": "confirmed in Seller Central"},
    ),
    ("POST", "/orgs/{org}/stage-proposals/{proposal_id}/dismiss"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"reason": "old news"},
    ),
    ("GET", "/orgs/{org}/mail-accounts"): Case(
        ok="frank", status=200, denied=("bob", "carol", "dave", "grace")
    ),
    ("POST", "/orgs/{org}/mail-accounts"): Case(
        ok="alice",
        status=201,
        denied=NO_ADMIN,
        body=lambda w: {
            "name": "Second",
            "host": "imap.example.org",
            "username": "u@example.org",
            "password": "pw",
        },
    ),
    ("PATCH", "/orgs/{org}/mail-accounts/{account_id}"): Case(
        ok="alice", status=200, denied=NO_ADMIN, body=lambda w: {"folder": "Platform"}
    ),
    ("DELETE", "/orgs/{org}/mail-accounts/{account_id}"): Case(
        ok="alice", status=204, denied=NO_ADMIN
    ),
}

IDS = {
    "mail_id": _mail_id,
    "proposal_id": _proposal_id,
    "account_id": _account_id,
}
