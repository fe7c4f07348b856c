"""Every write on platform mail: bringing a message in (one path for IMAP, upload and the API),
assigning unmatched mail, the stage proposals a person accepts or dismisses, and the settings
(project mailbox addresses, IMAP accounts, keyword rules).

A message is imported once per organization (same Message-ID or same bytes → the existing
one). Its raw bytes are kept as written; a message that cannot be read is kept as
``unparsable`` with the reason. Nothing here moves a project's stage: a keyword rule only
proposes, and accepting runs ``change_stage`` as the person who accepts.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import DocumentType, Platform
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, check_version
from linkstar.documents.services import upload_document
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.platformmail import parsing, rules
from linkstar.platformmail.models import (
    InboundMessage,
    KeywordRule,
    MailAccount,
    MailAttachment,
    MatchedBy,
    ParseStatus,
    ProjectMailbox,
    ProposalStatus,
    Security,
    Source,
    StageProposal,
)
from linkstar.platformmail.storage import discard_raw, read_raw, save_raw
from linkstar.projects.models import ProjectStatus, Stage, StoreProject

log = logging.getLogger(__name__)

MAIL_DOCUMENT_TYPE = "platform_mail"
OPEN_STAGES = (Stage.PREPARING, Stage.UNDER_REVIEW, Stage.NEEDS_INFO, Stage.REJECTED)


@dataclass
class IngestResult:
    message: InboundMessage
    created: bool  # False: the organization already had this message


# --- intake ----------------------------------------------------------------------------------


def _existing(organization, sha256: str, message_id: str) -> InboundMessage | None:
    qs = InboundMessage.objects.filter(organization_id=organization.pk)
    found = qs.filter(sha256=sha256).first()
    if found is None and message_id:
        found = qs.filter(message_id=message_id).first()
    return found


def _match_project(organization, parsed: parsing.ParsedMail, sender_platform: str):
    """The project a message belongs to: a recipient that is a project's mailbox address;
    else, when the sender is a known platform and the organization has exactly one open
    project on that platform, that project."""
    if parsed.recipients:
        boxes = {
            box.address: box
            for box in ProjectMailbox.objects.filter(
                organization_id=organization.pk, address__in=parsed.recipients
            ).select_related("project")
        }
        for address in parsed.recipients:
            if address in boxes:
                return boxes[address].project, MatchedBy.RECIPIENT
    if sender_platform:
        candidates = list(
            StoreProject.objects.filter(
                organization_id=organization.pk,
                status=ProjectStatus.ACTIVE,
                stage__in=OPEN_STAGES,
                site__platform__code=sender_platform,
            ).values_list("pk", flat=True)[:2]
        )
        if len(candidates) == 1:
            return StoreProject.objects.get(pk=candidates[0]), MatchedBy.SENDER_DOMAIN
    return None, MatchedBy.NONE


def ingest_message(
    *,
    organization,
    raw: bytes,
    source: str,
    actor: Actor | None = None,
    account: MailAccount | None = None,
    imap_uid: int | None = None,
) -> IngestResult:
    """Bring one raw RFC 822 message into the organization (IMAP poller, ``.eml`` upload, the
    API pipe). ``actor`` is the person importing (``mail.import``: admins and managers); the
    poller imports as the system. A duplicate (same bytes or same Message-ID) is returned, not
    imported again. A message that cannot be read is kept as ``unparsable`` with the reason.
    A matched message has its attachments filed in the vault and its keyword rules applied."""
    if source not in Source.values:
        raise InvalidInput(FieldError("source", _("Unknown mail source.")))
    if actor is None:
        actor = Actor.system(organization, via=source)
    else:
        policy.require(actor, "mail.import")
        if actor.organization.pk != organization.pk:
            raise InvalidInput(FieldError("organization", _("Another organization.")))
    raw = bytes(raw or b"")
    if source != Source.IMAP:
        if not raw.strip():
            raise InvalidInput(FieldError("file", _("The message is empty.")))
        if len(raw) > settings.LINKSTAR_MAIL_MAX_BYTES:
            raise InvalidInput(
                FieldError(
                    "file",
                    _("The message is larger than the limit of %(n)d bytes.")
                    % {"n": settings.LINKSTAR_MAIL_MAX_BYTES},
                )
            )
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        parsed, error = parsing.parse(raw), ""
    except parsing.Unparsable as exc:
        parsed, error = None, str(exc) or "unparsable"
    message_id = parsed.message_id if parsed else ""
    existing = _existing(organization, sha256, message_id)
    if existing is not None:
        return IngestResult(existing, False)
    stored = save_raw(organization.pk, raw)
    try:
        with transaction.atomic():
            message = _record_message(
                actor=actor,
                organization=organization,
                parsed=parsed,
                error=error,
                sha256=sha256,
                raw_name=stored,
                raw_size=len(raw),
                source=source,
                account=account,
                imap_uid=imap_uid,
            )
    except IntegrityError:
        # Another worker imported the same message a moment ago.
        discard_raw(stored)
        existing = _existing(organization, sha256, message_id)
        if existing is None:
            raise
        return IngestResult(existing, False)
    except BaseException:
        discard_raw(stored)
        raise
    return IngestResult(message, True)


def _record_message(
    *, actor, organization, parsed, error, sha256, raw_name, raw_size, source, account, imap_uid
) -> InboundMessage:
    sender_platform = rules.platform_of_sender(parsed.from_address) if parsed else ""
    project, matched_by = (
        _match_project(organization, parsed, sender_platform) if parsed else (None, "")
    )
    message = InboundMessage(
        organization=organization,
        project=project,
        account=account,
        source=source,
        sha256=sha256,
        raw_name=raw_name,
        raw_size=raw_size,
        imap_uid=imap_uid,
        imported_by=actor.user,
        sender_platform=sender_platform,
        matched_by=matched_by,
    )
    if parsed is None:
        message.parse_status = ParseStatus.UNPARSABLE
        message.parse_error = error[:2000]
    else:
        message.message_id = parsed.message_id
        message.from_address = parsed.from_address
        message.from_name = parsed.from_name
        message.to_addresses = parsed.to_addresses
        message.subject = parsed.subject
        message.sent_at = parsed.sent_at
        message.html_body = parsed.html
        message.text_body = parsed.text
    with transaction.atomic():  # a savepoint: a duplicate key leaves the outer work intact
        message.save()
    record(
        actor=actor,
        action="mail.imported",
        obj=message,
        project_id=project.pk if project else None,
        changes={
            "source": {"before": None, "after": source},
            "sha256": {"before": None, "after": sha256},
            "message_id": {"before": None, "after": message.message_id},
            "from": {"before": None, "after": message.from_address},
            "subject": {"before": None, "after": message.subject},
            "parse_status": {"before": None, "after": message.parse_status},
            "project_id": {"before": None, "after": project.pk if project else None},
            "matched_by": {"before": None, "after": matched_by},
        },
    )
    if parsed is not None:
        MailAttachment.objects.bulk_create(
            MailAttachment(
                organization=organization,
                message=message,
                position=i,
                filename=a.filename[:255],
                content_type=a.content_type[:100],
                size=len(a.payload),
                sha256=a.sha256,
            )
            for i, a in enumerate(parsed.attachments)
        )
    if project is not None:
        _on_matched(actor=actor, message=message, project=project, parsed=parsed)
    return message


def _mail_document_type() -> DocumentType:
    found, _created = DocumentType.objects.get_or_create(
        code=MAIL_DOCUMENT_TYPE,
        defaults={
            "name": "平台邮件附件",
            "name_en": "Platform mail attachment",
            "description": "平台发到注册邮箱的邮件所带的附件，由平台邮件联动自动归档。",
            "description_en": "Attachments of the platform's mail to a registration mailbox, "
            "filed by the platform mail intake.",
            "position": 1000,
        },
    )
    return found


def _file_attachments(*, actor, message: InboundMessage, project, parsed) -> None:
    """File each attachment as a document of the project's seller entity. The vault's checks
    apply (type by content, size, name); a refused file stays in the raw message and its
    attachment row says why."""
    rows = list(message.attachments.filter(document__isnull=True, refused_reason=""))
    if not rows:
        return
    payloads = parsed.attachments if parsed is not None else []
    doc_type = _mail_document_type()
    for row in rows:
        payload = payloads[row.position].payload if row.position < len(payloads) else b""
        try:
            document = upload_document(
                actor=actor,
                entity=project.entity,
                document_type=doc_type,
                file=ContentFile(payload, name=row.filename),
                notes=_("From platform mail “%(subject)s” (#%(id)s)")
                % {"subject": message.subject[:200], "id": message.pk},
            )
        except InvalidInput as exc:
            row.refused_reason = "; ".join(str(e.message) for e in exc.errors)[:1000] or str(exc)
            row.save(update_fields=["refused_reason"])
        else:
            row.document = document
            row.save(update_fields=["document"])


def _phrases(organization, platform_code: str) -> list[tuple[str, str]]:
    own = KeywordRule.objects.filter(
        organization_id=organization.pk, platform__code=platform_code
    ).values_list("stage", "phrase")
    return [*rules.shipped_phrases(platform_code), *own]


def _on_matched(*, actor, message: InboundMessage, project: StoreProject, parsed) -> None:
    """A message now belongs to ``project``: file its attachments, tell the team, and let the
    keyword rules propose a stage."""
    if parsed is not None:
        _file_attachments(actor=actor, message=message, project=project, parsed=parsed)
    events.publish(
        EventKind.MAIL_RECEIVED,
        actor=actor,
        project=project,
        obj=message,
        data={"subject": message.subject, "from": message.from_address, "message_id": message.pk},
    )
    if message.parse_status != ParseStatus.OK or project.status != ProjectStatus.ACTIVE:
        return
    platform_code = project.site.platform.code
    # Mail from another platform's domain proposes nothing for this one; mail from an unknown
    # sender (a forward by a colleague) may.
    if message.sender_platform and message.sender_platform != platform_code:
        return
    match = rules.propose(
        subject=message.subject,
        text=message.text_body,
        current_stage=project.stage,
        phrases=_phrases(message.organization, platform_code),
    )
    if match is None:
        return
    proposal = StageProposal.objects.create(
        organization=message.organization,
        project=project,
        message=message,
        from_stage=project.stage,
        stage=match.stage,
        phrase=match.phrase[:200],
    )
    record(
        actor=actor,
        action="proposal.created",
        obj=proposal,
        project_id=project.pk,
        changes={
            "stage": {"before": project.stage, "after": match.stage},
            "phrase": {"before": None, "after": match.phrase},
            "message_id": {"before": None, "after": message.pk},
        },
    )
    events.publish(
        EventKind.MAIL_STAGE_PROPOSED,
        actor=actor,
        project=project,
        obj=proposal,
        data={
            "from": project.stage,
            "to": match.stage,
            "phrase": match.phrase,
            "subject": message.subject,
            "message_id": message.pk,
            "proposal_id": proposal.pk,
        },
    )


@transaction.atomic
def assign_message(*, actor: Actor, message: InboundMessage, project: StoreProject):
    """Put a message (usually an unmatched one) on a project (``mail.assign``: the project's
    manager or an administrator). Its attachments are then filed and its rules applied, as if it
    had matched on arrival."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if project.organization_id != actor.organization.pk:
        raise InvalidInput(FieldError("project_id", _("Unknown project.")))
    policy.require(actor, "mail.assign", project)
    if message.project_id == project.pk:
        raise Conflict(_("The message is already on this project."), code="already_assigned")
    if message.project_id is not None:
        current = StoreProject.objects.get(pk=message.project_id)
        policy.require(actor, "mail.assign", current)
    previous = message.project_id
    message.project = project
    message.matched_by = MatchedBy.MANUAL
    message.save(update_fields=["project", "matched_by", "updated_at"])
    record(
        actor=actor,
        action="mail.assigned",
        obj=message,
        project_id=project.pk,
        changes={"project_id": {"before": previous, "after": project.pk}},
    )
    parsed = None
    if message.parse_status == ParseStatus.OK:
        try:
            parsed = parsing.parse(read_raw(message))
        except (OSError, parsing.Unparsable):
            parsed = None
    project = StoreProject.objects.select_related("site__platform", "entity").get(pk=project.pk)
    _on_matched(actor=actor, message=message, project=project, parsed=parsed)
    return message


# --- stage proposals -------------------------------------------------------------------------


def _lock_pending(proposal: StageProposal) -> StageProposal:
    proposal = (
        StageProposal.objects.select_for_update()
        .select_related("project", "message")
        .get(pk=proposal.pk)
    )
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(
            _("This proposal was already %(s)s.") % {"s": proposal.get_status_display()},
            code="proposal_decided",
        )
    return proposal


@transaction.atomic
def accept_proposal(*, actor: Actor, proposal: StageProposal, note: str = "") -> StageProposal:
    """A person confirms what the platform's mail says: the stage moves through
    ``change_stage`` as that person (their permission, the stage machine and the compliance
    gates apply); the proposal records who accepted it."""
    from linkstar.projects.services import change_stage

    policy.require(actor, "mail.proposal.decide", proposal.project)
    proposal = _lock_pending(proposal)
    note = (note or "").strip() or _("Platform mail: %(s)s") % {"s": proposal.message.subject}
    change_stage(actor=actor, project=proposal.project, stage=proposal.stage, note=note[:1000])
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_by = actor.user
    proposal.decided_at = clock.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    record(
        actor=actor,
        action="proposal.accepted",
        obj=proposal,
        project_id=proposal.project_id,
        changes={
            "status": {"before": "pending", "after": "accepted"},
            "stage": {"before": proposal.from_stage, "after": proposal.stage},
        },
    )
    return proposal


@transaction.atomic
def dismiss_proposal(*, actor: Actor, proposal: StageProposal, reason: str = "") -> StageProposal:
    """Decline a proposal (the mail was not what the rule thought); records who and why."""
    policy.require(actor, "mail.proposal.decide", proposal.project)
    proposal = _lock_pending(proposal)
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise InvalidInput(FieldError("reason", _("At most %(n)d characters.") % {"n": 1000}))
    proposal.status = ProposalStatus.DISMISSED
    proposal.decided_by = actor.user
    proposal.decided_at = clock.now()
    proposal.reason = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    record(
        actor=actor,
        action="proposal.dismissed",
        obj=proposal,
        project_id=proposal.project_id,
        changes={
            "status": {"before": "pending", "after": "dismissed"},
            "reason": {"before": None, "after": reason},
        },
    )
    return proposal


# --- settings --------------------------------------------------------------------------------


@transaction.atomic
def set_project_mailbox(*, actor: Actor, project: StoreProject, address: str):
    """Set (or clear, with an empty address) a project's registration mailbox address
    (``mail.address``). Unique in the organization."""
    policy.require(actor, "mail.address", project)
    address = (address or "").strip().lower()
    current = ProjectMailbox.objects.filter(project=project).first()
    before = current.address if current else None
    if not address:
        if current is not None:
            current.delete()
            record(
                actor=actor,
                action="mailbox.cleared",
                obj=project,
                project_id=project.pk,
                changes={"mailbox": {"before": before, "after": None}},
            )
        return None
    try:
        validate_email(address)
    except Exception:
        raise InvalidInput(FieldError("address", _("Enter a valid email address."))) from None
    taken = (
        ProjectMailbox.objects.filter(organization_id=actor.organization.pk, address=address)
        .exclude(project=project)
        .select_related("project")
        .first()
    )
    if taken is not None:
        raise InvalidInput(
            FieldError(
                "address",
                _("%(a)s is already the mailbox of project %(c)s.")
                % {"a": address, "c": taken.project.code},
            )
        )
    if address == before:
        return current
    if current is None:
        current = ProjectMailbox(organization=actor.organization, project=project)
    current.address = address
    current.save()
    record(
        actor=actor,
        action="mailbox.set",
        obj=project,
        project_id=project.pk,
        changes={"mailbox": {"before": before, "after": address}},
    )
    return current


ACCOUNT_FIELDS = ("name", "host", "port", "security", "username", "folder", "enabled")


def _clean_account(data: dict, *, creating: bool) -> dict:
    errors = []
    clean = {}
    for key in ("name", "host", "username", "folder"):
        if key in data and data[key] is not None:
            clean[key] = str(data[key]).strip()
            limit = MailAccount._meta.get_field(key).max_length
            if len(clean[key]) > limit:
                errors.append(FieldError(key, _("At most %(n)d characters.") % {"n": limit}))
    for key in ("name", "host", "username"):
        if (creating or key in clean) and not clean.get(key):
            errors.append(FieldError(key, _("This field is required.")))
    if creating and not clean.get("folder"):
        clean["folder"] = "INBOX"
    if "port" in data and data["port"] is not None:
        try:
            clean["port"] = int(data["port"])
        except (TypeError, ValueError):
            clean["port"] = 0
        if not 1 <= clean["port"] <= 65535:
            errors.append(FieldError("port", _("A port is a number from 1 to 65535.")))
    if "security" in data and data["security"] is not None:
        if data["security"] not in Security.values:
            errors.append(
                FieldError("security", _("Choose one of: %(v)s.") % {"v": ", ".join(Security)})
            )
        clean["security"] = data["security"]
    if "enabled" in data and data["enabled"] is not None:
        clean["enabled"] = bool(data["enabled"])
    if "password" in data and data["password"] not in (None, ""):
        clean["password"] = str(data["password"])
    elif creating:
        errors.append(FieldError("password", _("This field is required.")))
    if errors:
        raise InvalidInput(errors)
    return clean


def _account_changes(before: dict, after: dict) -> dict:
    changes = {}
    for key in ACCOUNT_FIELDS:
        if before.get(key) != after.get(key):
            changes[key] = {"before": before.get(key), "after": after.get(key)}
    return changes


@transaction.atomic
def create_mail_account(*, actor: Actor, **data) -> MailAccount:
    """Add an IMAP mailbox for the worker to poll (``mail.settings``: administrators). The
    password is stored encrypted; the audit trail records that it was set, never its value."""
    policy.require(actor, "mail.settings")
    clean = _clean_account(data, creating=True)
    account = MailAccount.objects.create(organization=actor.organization, **clean)
    changes = _account_changes({}, {k: getattr(account, k) for k in ACCOUNT_FIELDS})
    changes["password"] = {"before": None, "after": "(set)"}
    record(actor=actor, action="mail_account.created", obj=account, changes=changes)
    return account


@transaction.atomic
def update_mail_account(
    *, actor: Actor, account: MailAccount, version: int | None = None, **data
) -> MailAccount:
    """Change an IMAP account (``mail.settings``). A new host, user or folder starts the
    mailbox afresh (duplicates are still imported once)."""
    policy.require(actor, "mail.settings", account)
    account = MailAccount.objects.select_for_update().get(pk=account.pk)
    check_version(account, version)
    clean = _clean_account(data, creating=False)
    before = {k: getattr(account, k) for k in ACCOUNT_FIELDS}
    for key, value in clean.items():
        setattr(account, key, value)
    after = {k: getattr(account, k) for k in ACCOUNT_FIELDS}
    changes = _account_changes(before, after)
    if "password" in clean:
        changes["password"] = {"before": "(set)", "after": "(changed)"}
    if any(k in changes for k in ("host", "port", "username", "folder")):
        account.uid_validity, account.last_uid = None, 0
    if changes:
        account.version += 1
        account.save()
        record(actor=actor, action="mail_account.updated", obj=account, changes=changes)
    return account


@transaction.atomic
def delete_mail_account(*, actor: Actor, account: MailAccount) -> None:
    """Stop polling a mailbox; the messages it brought in stay."""
    policy.require(actor, "mail.settings", account)
    record(
        actor=actor,
        action="mail_account.deleted",
        obj=account,
        changes={k: {"before": getattr(account, k), "after": None} for k in ("name", "host")},
    )
    account.delete()


@transaction.atomic
def create_keyword_rule(*, actor: Actor, platform: str, phrase: str, stage: str) -> KeywordRule:
    """An organization's own phrase for a platform (``mail.settings``)."""
    policy.require(actor, "mail.settings")
    errors = []
    found = Platform.objects.filter(code=(platform or "").strip()).first()
    if found is None:
        errors.append(FieldError("platform", _("Choose a platform from the catalog.")))
    phrase = " ".join((phrase or "").split())
    if not phrase:
        errors.append(FieldError("phrase", _("This field is required.")))
    elif len(phrase) > 200:
        errors.append(FieldError("phrase", _("At most %(n)d characters.") % {"n": 200}))
    if stage not in rules.STAGES:
        errors.append(
            FieldError("stage", _("Choose one of: %(v)s.") % {"v": ", ".join(rules.STAGES)})
        )
    if errors:
        raise InvalidInput(errors)
    if KeywordRule.objects.filter(
        organization_id=actor.organization.pk, platform=found, phrase=phrase
    ).exists():
        raise InvalidInput(FieldError("phrase", _("This phrase is already a rule.")))
    rule = KeywordRule.objects.create(
        organization=actor.organization,
        platform=found,
        phrase=phrase,
        stage=stage,
        created_by=actor.user,
    )
    record(
        actor=actor,
        action="keyword_rule.created",
        obj=rule,
        changes={
            "platform": {"before": None, "after": found.code},
            "phrase": {"before": None, "after": phrase},
            "stage": {"before": None, "after": stage},
        },
    )
    return rule


@transaction.atomic
def delete_keyword_rule(*, actor: Actor, rule: KeywordRule) -> None:
    policy.require(actor, "mail.settings", rule)
    record(
        actor=actor,
        action="keyword_rule.deleted",
        obj=rule,
        changes={"phrase": {"before": rule.phrase, "after": None}},
    )
    rule.delete()
