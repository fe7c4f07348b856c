"""The stage proposals a person accepts or dismisses, and the organization's own keyword rules
that propose them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.catalog.models import Platform
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.platformmail import rules
from linkstar.platformmail.models import KeywordRule, ProposalStatus, StageProposal
from linkstar.projects.services import change_stage

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


# --- keyword rules ---------------------------------------------------------------------------


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
