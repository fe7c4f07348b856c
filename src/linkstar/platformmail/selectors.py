"""Reads of platform mail, scoped to what the actor may see: the mail of the projects they see;
unmatched mail only for the roles that see every project."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.platformmail.models import (
    InboundMessage,
    KeywordRule,
    MailAccount,
    MailAttachment,
    ProjectMailbox,
    ProposalStatus,
    StageProposal,
)
from linkstar.projects import visibility


def sees_unmatched(actor: Actor) -> bool:
    return visibility.sees_all_projects(actor)


def visible_messages(actor: Actor) -> QuerySet:
    qs = InboundMessage.objects.filter(organization_id=actor.organization.pk)
    if sees_unmatched(actor):
        return qs
    return qs.filter(project__in=visibility.visible_projects(actor).values("pk"))


def visible_proposals(actor: Actor) -> QuerySet:
    return StageProposal.objects.filter(
        organization_id=actor.organization.pk,
        project__in=visibility.visible_projects(actor).values("pk"),
    )


def _attachments() -> Prefetch:
    return Prefetch(
        "attachments",
        queryset=MailAttachment.objects.select_related("document").order_by("position"),
    )


def _proposals() -> Prefetch:
    return Prefetch(
        "proposals",
        queryset=StageProposal.objects.select_related("decided_by").order_by("-created_at"),
    )


def message_list(
    *,
    actor: Actor,
    project_id: int | None = None,
    unmatched: bool | None = None,
    may_matter: bool | None = None,
) -> QuerySet:
    """Newest first, with the project and the attachment count (two queries for a page).
    ``may_matter``: mail with a signal that made no proposal (below the bar)."""
    qs = (
        visible_messages(actor)
        .select_related("project")
        .annotate(attachment_count=Count("attachments"))
    )
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if unmatched is True:
        qs = qs.filter(project__isnull=True)
    elif unmatched is False:
        qs = qs.filter(project__isnull=False)
    if may_matter is not None:
        qs = qs.filter(may_matter=may_matter)
    return qs.order_by("-created_at", "-id")


def message_get(*, actor: Actor, message_id) -> InboundMessage:
    qs = (
        visible_messages(actor)
        .select_related("project", "project__site__platform", "account")
        .prefetch_related(_attachments(), _proposals())
    )
    return policy.get_visible(qs, pk=message_id)


def project_messages(*, actor: Actor, project) -> list[InboundMessage]:
    """The project's timeline: messages with their attachments and proposals (three queries)."""
    return list(
        InboundMessage.objects.filter(organization_id=actor.organization.pk, project_id=project.pk)
        .prefetch_related(_attachments(), _proposals())
        .order_by("-created_at", "-id")
    )


def pending_proposals(*, actor: Actor, project=None) -> QuerySet:
    qs = visible_proposals(actor).filter(status=ProposalStatus.PENDING)
    if project is not None:
        qs = qs.filter(project_id=project.pk)
    return qs.select_related("project", "message").order_by("-created_at")


def proposal_get(*, actor: Actor, proposal_id) -> StageProposal:
    qs = visible_proposals(actor).select_related("project", "message", "decided_by")
    return policy.get_visible(qs, pk=proposal_id)


def mail_accounts(*, actor: Actor) -> QuerySet:
    return MailAccount.objects.filter(organization_id=actor.organization.pk).order_by("name", "pk")


def mail_account_get(*, actor: Actor, account_id) -> MailAccount:
    return policy.get_visible(mail_accounts(actor=actor), pk=account_id)


def project_mailboxes(*, actor: Actor) -> QuerySet:
    return (
        ProjectMailbox.objects.filter(organization_id=actor.organization.pk)
        .select_related("project")
        .order_by("address")
    )


def keyword_rules(*, actor: Actor) -> QuerySet:
    return (
        KeywordRule.objects.filter(organization_id=actor.organization.pk)
        .select_related("platform")
        .order_by("platform__position", "stage", "phrase")
    )
