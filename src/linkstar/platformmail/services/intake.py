"""Bringing a message in (one path for IMAP, upload and the API), matching it to a project, and
assigning unmatched mail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.platformmail import parsing, rules
from linkstar.platformmail.models import (
    InboundMessage,
    MailAccount,
    MailAttachment,
    MatchedBy,
    ParseStatus,
    ProjectMailbox,
    Source,
)
from linkstar.platformmail.services.matched import SIGNAL_FIELDS, _on_matched, read_message
from linkstar.platformmail.storage import discard_raw, read_raw, save_raw
from linkstar.projects.models import ProjectStatus, Stage, StoreProject

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
    elif parsed is not None and sender_platform:
        # Unmatched mail of a known platform: what it says shows before anyone assigns it.
        read_message(message, platform_code=sender_platform)
        message.save(update_fields=SIGNAL_FIELDS)
    return message


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
