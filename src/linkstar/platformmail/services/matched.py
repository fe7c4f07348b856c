"""A message that belongs to a project: its attachments filed in the vault, the team told, and
the keyword rules let propose a stage."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import DocumentType
from linkstar.core.exceptions import InvalidInput
from linkstar.documents.services import upload_document
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.platformmail import rules
from linkstar.platformmail.models import InboundMessage, KeywordRule, ParseStatus, StageProposal
from linkstar.projects.models import ProjectStatus, StoreProject

MAIL_DOCUMENT_TYPE = "platform_mail"


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


def _phrase_book(organization, platform_code: str) -> list[rules.Phrase]:
    own = KeywordRule.objects.filter(
        organization_id=organization.pk, platform__code=platform_code
    ).values_list("stage", "phrase")
    return rules.phrase_book(platform_code, list(own))


def read_message(
    message: InboundMessage, *, platform_code: str, current_stage: str | None = None
) -> rules.Reading:
    """Read a message as a person would (``rules.read_mail``) and note on it what it says:
    the best signal's stage, sentence and confidence. ``may_matter`` until a proposal is made
    from it. Not saved here."""
    reading = rules.decide(
        rules.read_mail(
            subject=message.subject,
            text=message.text_body,
            sender=message.from_address,
            platform_code=platform_code,
            book=_phrase_book(message.organization, platform_code),
        ),
        current_stage=current_stage,
    )
    message.signal_stage = reading.stage
    message.signal_sentence = reading.sentence[:2000]
    message.signal_confidence = reading.confidence if reading.stage else None
    message.may_matter = bool(reading.stage)
    return reading


SIGNAL_FIELDS = ["signal_stage", "signal_sentence", "signal_confidence", "may_matter"]


def _on_matched(*, actor, message: InboundMessage, project: StoreProject, parsed) -> None:
    """A message now belongs to ``project``: file its attachments, tell the team, and let the
    reading propose a stage (a confident one the stage machine allows) or mark the message as
    mail that may matter."""
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
    reading = read_message(message, platform_code=platform_code, current_stage=project.stage)
    message.may_matter = bool(reading.stage) and not reading.confident
    message.save(update_fields=[*SIGNAL_FIELDS, "updated_at"])
    if reading.confident:
        _propose(actor=actor, message=message, project=project, reading=reading)


def _propose(*, actor, message: InboundMessage, project: StoreProject, reading) -> None:
    proposal = StageProposal.objects.create(
        organization=message.organization,
        project=project,
        message=message,
        from_stage=project.stage,
        stage=reading.stage,
        phrase=reading.phrase[:200],
        sentence=reading.sentence[:2000],
        confidence=reading.confidence,
    )
    record(
        actor=actor,
        action="proposal.created",
        obj=proposal,
        project_id=project.pk,
        changes={
            "stage": {"before": project.stage, "after": reading.stage},
            "phrase": {"before": None, "after": reading.phrase},
            "sentence": {"before": None, "after": reading.sentence[:500]},
            "confidence": {"before": None, "after": reading.confidence},
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
            "to": reading.stage,
            "phrase": reading.phrase,
            "sentence": reading.sentence[:500],
            "subject": message.subject,
            "message_id": message.pk,
            "proposal_id": proposal.pk,
        },
    )
