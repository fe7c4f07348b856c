"""Platform mail endpoints: the inbound pipe for a mail server, the messages, assigning
unmatched mail, stage proposals, and the IMAP accounts the worker polls."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from linkstar.accounts.web import actor_for
from linkstar.core import policy
from linkstar.core.api import ERRORS, Paging, page
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.platformmail import rules, selectors, services
from linkstar.platformmail.models import (
    InboundMessage,
    MailAccount,
    ProjectMailbox,
    Source,
    StageProposal,
)
from linkstar.platformmail.schemas import (
    AcceptIn,
    AssignIn,
    DismissIn,
    InboundOut,
    MailAccountIn,
    MailAccountList,
    MailAccountOut,
    MailAccountPatch,
    MailboxIn,
    MailboxOut,
    MailDetailOut,
    MailList,
    ProposalList,
    StageProposalOut,
)
from linkstar.projects import visibility

router = Router(tags=["platform mail"])

RAW_MESSAGE_BODY = {
    "requestBody": {
        "description": "The raw message: `Content-Type: message/rfc822` with the RFC 822 bytes "
        "as the body (a mail server's pipe), or multipart/form-data with the `.eml` as `file`.",
        "content": {
            "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


class MailFilters(Schema):
    project: int | None = None
    unmatched: bool | None = None
    may_matter: bool | None = None


class ProposalFilters(Schema):
    project: int | None = None
    status: str | None = "pending"


def mail_out(message: InboundMessage) -> dict:
    attachments = getattr(message, "attachment_count", None)
    if attachments is None:
        attachments = len(message.attachments.all())
    return {
        "id": message.pk,
        "project_id": message.project_id,
        "project_code": message.project.code if message.project_id else None,
        "source": message.source,
        "message_id": message.message_id,
        "sha256": message.sha256,
        "from_address": message.from_address,
        "from_name": message.from_name,
        "to": message.to_addresses,
        "subject": message.subject,
        "date": message.sent_at,
        "received_at": message.created_at,
        "parse_status": message.parse_status,
        "parse_error": message.parse_error,
        "matched_by": message.matched_by,
        "sender_platform": message.sender_platform,
        "attachment_count": attachments,
        "signal": {
            "stage": message.signal_stage,
            "sentence": message.signal_sentence,
            "confidence": message.signal_confidence,
        }
        if message.signal_stage
        else None,
        "may_matter": message.may_matter,
    }


def proposal_out(p: StageProposal) -> dict:
    return {
        "id": p.pk,
        "project_id": p.project_id,
        "message_id": p.message_id,
        "from_stage": p.from_stage,
        "stage": p.stage,
        "phrase": p.phrase,
        "sentence": p.sentence,
        "confidence": p.confidence,
        "status": p.status,
        "decided_by": p.decided_by_id,
        "decided_at": p.decided_at,
        "reason": p.reason,
        "created_at": p.created_at,
    }


def mail_detail_out(message: InboundMessage) -> dict:
    return {
        **mail_out(message),
        "text_body": message.text_body,
        "html_body": message.html_body,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "document_id": a.document_id,
                "refused_reason": a.refused_reason,
            }
            for a in message.attachments.all()
        ],
        "proposals": [proposal_out(p) for p in message.proposals.all()],
    }


def account_out(account: MailAccount) -> dict:
    return {
        "id": account.pk,
        "name": account.name,
        "host": account.host,
        "port": account.port,
        "security": account.security,
        "username": account.username,
        "password": "********" if account.password else "",
        "folder": account.folder,
        "enabled": account.enabled,
        "uid_validity": account.uid_validity,
        "last_uid": account.last_uid,
        "last_polled_at": account.last_polled_at,
        "last_ok_at": account.last_ok_at,
        "last_error": account.last_error,
        "last_imported": account.last_imported,
        "version": account.version,
    }


# --- inbound ---------------------------------------------------------------------------------


@router.post(
    "/orgs/{org}/inbound-mail",
    response={200: InboundOut, 201: InboundOut, **ERRORS},
    openapi_extra=RAW_MESSAGE_BODY,
)
def inbound_mail(request, org: str, file: File[UploadedFile] = None):
    """Bring in one raw message (admin or manager): 201 with the imported message, or 200 with
    ``duplicate: true`` and the message already imported."""
    actor = actor_for(request, org)
    policy.require(actor, "mail.import")
    if file is not None:
        raw = file.read()
    elif request.content_type in ("message/rfc822", "application/octet-stream", "text/plain"):
        raw = request.body
    else:
        raise InvalidInput(
            FieldError(
                "body",
                _("Send the message as Content-Type: message/rfc822, or as a multipart file."),
            )
        )
    outcome = services.ingest_message(
        organization=actor.organization, raw=raw, source=Source.API, actor=actor
    )
    message = selectors.message_get(actor=actor, message_id=outcome.message.pk)
    body = {**mail_detail_out(message), "duplicate": not outcome.created}
    return Status(201 if outcome.created else 200, body)


# --- messages --------------------------------------------------------------------------------


@router.get("/orgs/{org}/mail", response={200: MailList, **ERRORS})
def mail_list(request, org: str, filters: Query[MailFilters], paging: Query[Paging]):
    """Messages newest first; ``?project=`` one project's, ``?unmatched=true`` those no project
    matched (admins, managers, reviewers and auditors see those)."""
    actor = actor_for(request, org)
    qs = selectors.message_list(
        actor=actor,
        project_id=filters.project,
        unmatched=filters.unmatched,
        may_matter=filters.may_matter,
    )
    return page(
        qs, limit=paging.limit, offset=paging.offset, serialize=lambda ms: [mail_out(m) for m in ms]
    )


@router.get("/orgs/{org}/mail/{mail_id}", response={200: MailDetailOut, **ERRORS})
def mail_detail(request, org: str, mail_id: int):
    """One message: the sanitised HTML body, the text body, attachments (with the vault
    document each was filed as, or why the vault refused it) and stage proposals."""
    actor = actor_for(request, org)
    return mail_detail_out(selectors.message_get(actor=actor, message_id=mail_id))


@router.post("/orgs/{org}/mail/{mail_id}/assign", response={200: MailDetailOut, **ERRORS})
def mail_assign(request, org: str, mail_id: int, payload: AssignIn):
    """Put a message on a project (its manager or an admin); attachments are filed and keyword
    rules applied as on arrival."""
    actor = actor_for(request, org)
    message = selectors.message_get(actor=actor, message_id=mail_id)
    project = visibility.visible_projects(actor).filter(pk=payload.project_id).first()
    if project is None:
        raise InvalidInput(FieldError("project_id", _("Unknown project.")))
    services.assign_message(actor=actor, message=message, project=project)
    return mail_detail_out(selectors.message_get(actor=actor, message_id=mail_id))


@router.get("/orgs/{org}/projects/{project_id}/mail", response={200: MailList, **ERRORS})
def project_mail(request, org: str, project_id: int, paging: Query[Paging]):
    """A project's platform mail, newest first."""
    actor = actor_for(request, org)
    project = policy.get_visible(visibility.visible_projects(actor), pk=project_id)
    qs = selectors.message_list(actor=actor, project_id=project.pk)
    return page(
        qs, limit=paging.limit, offset=paging.offset, serialize=lambda ms: [mail_out(m) for m in ms]
    )


# --- a project's registration mailbox --------------------------------------------------------


def mailbox_out(project) -> dict:
    box = ProjectMailbox.objects.filter(project_id=project.pk).first()
    return {
        "project_id": project.pk,
        "project_code": project.code,
        "address": box.address if box else None,
        "results_by": rules.results_by(project.site.platform.code),
    }


def _project(actor, project_id: int):
    qs = visibility.visible_projects(actor).select_related("site__platform")
    return policy.get_visible(qs, pk=project_id)


@router.get("/orgs/{org}/projects/{project_id}/mailbox", response={200: MailboxOut, **ERRORS})
def mailbox_get(request, org: str, project_id: int):
    """The project's registration mailbox (``address`` null when none), and where its platform
    mostly tells results instead of mail (``results_by``)."""
    actor = actor_for(request, org)
    return mailbox_out(_project(actor, project_id))


@router.put("/orgs/{org}/projects/{project_id}/mailbox", response={200: MailboxOut, **ERRORS})
def mailbox_set(request, org: str, project_id: int, payload: MailboxIn):
    """Set the registration mailbox (the project's manager or an admin); an empty address
    clears it. 422 for an invalid address or one another project of the organization has."""
    actor = actor_for(request, org)
    project = _project(actor, project_id)
    services.set_project_mailbox(actor=actor, project=project, address=payload.address)
    return mailbox_out(project)


@router.delete("/orgs/{org}/projects/{project_id}/mailbox", response={204: None, **ERRORS})
def mailbox_clear(request, org: str, project_id: int):
    """Clear the registration mailbox (the project's manager or an admin)."""
    actor = actor_for(request, org)
    project = _project(actor, project_id)
    services.set_project_mailbox(actor=actor, project=project, address="")
    return Status(204, None)


# --- stage proposals -------------------------------------------------------------------------


@router.get("/orgs/{org}/stage-proposals", response={200: ProposalList, **ERRORS})
def proposal_list(request, org: str, filters: Query[ProposalFilters], paging: Query[Paging]):
    """Stage proposals of the projects the caller sees (pending ones unless ``?status=``)."""
    actor = actor_for(request, org)
    qs = selectors.visible_proposals(actor).order_by("-created_at", "-id")
    if filters.project is not None:
        qs = qs.filter(project_id=filters.project)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ps: [proposal_out(p) for p in ps],
    )


@router.post(
    "/orgs/{org}/stage-proposals/{proposal_id}/accept",
    response={200: StageProposalOut, **ERRORS},
)
def proposal_accept(request, org: str, proposal_id: int, payload: AcceptIn):
    """Accept: the project's stage moves as the caller (its manager or an admin); 409 when the
    stage machine or a compliance gate refuses, or the proposal was already decided."""
    actor = actor_for(request, org)
    proposal = selectors.proposal_get(actor=actor, proposal_id=proposal_id)
    return proposal_out(services.accept_proposal(actor=actor, proposal=proposal, note=payload.note))


@router.post(
    "/orgs/{org}/stage-proposals/{proposal_id}/dismiss",
    response={200: StageProposalOut, **ERRORS},
)
def proposal_dismiss(request, org: str, proposal_id: int, payload: DismissIn):
    actor = actor_for(request, org)
    proposal = selectors.proposal_get(actor=actor, proposal_id=proposal_id)
    return proposal_out(
        services.dismiss_proposal(actor=actor, proposal=proposal, reason=payload.reason)
    )


# --- IMAP accounts ---------------------------------------------------------------------------


@router.get("/orgs/{org}/mail-accounts", response={200: MailAccountList, **ERRORS})
def account_list(request, org: str, paging: Query[Paging]):
    """The IMAP mailboxes the worker polls (admins and auditors); passwords are never shown."""
    actor = actor_for(request, org)
    policy.require(actor, "mail.settings.view")
    qs = selectors.mail_accounts(actor=actor)
    return page(
        qs,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda acs: [account_out(a) for a in acs],
    )


@router.post("/orgs/{org}/mail-accounts", response={201: MailAccountOut, **ERRORS})
def account_create(request, org: str, payload: MailAccountIn):
    actor = actor_for(request, org)
    account = services.create_mail_account(actor=actor, **payload.dict())
    return Status(201, account_out(account))


@router.patch("/orgs/{org}/mail-accounts/{account_id}", response={200: MailAccountOut, **ERRORS})
def account_update(request, org: str, account_id: int, payload: MailAccountPatch):
    actor = actor_for(request, org)
    policy.require(actor, "mail.settings")
    account = selectors.mail_account_get(actor=actor, account_id=account_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    account = services.update_mail_account(actor=actor, account=account, version=version, **data)
    return account_out(account)


@router.delete("/orgs/{org}/mail-accounts/{account_id}", response={204: None, **ERRORS})
def account_delete(request, org: str, account_id: int):
    actor = actor_for(request, org)
    policy.require(actor, "mail.settings")
    account = selectors.mail_account_get(actor=actor, account_id=account_id)
    services.delete_mail_account(actor=actor, account=account)
    return Status(204, None)
