from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from linkstar.accounts.models import ApiToken, Membership, Role
from linkstar.core import policy
from linkstar.core.actors import Actor


def member_list(*, actor: Actor) -> QuerySet[Membership]:
    """The people of the organization (the service users of organization tokens are listed
    with the tokens, not here)."""
    return (
        Membership.objects.filter(organization=actor.organization, user__is_service=False)
        .select_related("user")
        .order_by("user__email")
    )


def entity_clients(*, organization_id: int, entity_id: int) -> QuerySet[Membership]:
    """The client members (role ``client``) of one seller entity: who a request for its
    documents, or a comment shared with it, reaches."""
    return Membership.objects.filter(
        organization_id=organization_id, role=Role.CLIENT, entity_id=entity_id
    )


def memberships_of(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first."""
    return ApiToken.objects.filter(user_id=actor.user_id).order_by("-created_at", "-pk")


def org_token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """For an administrator: the organization's own tokens (with their service user's role)."""
    if not policy.can(actor, "token.org_manage"):
        return ApiToken.objects.none()
    role = Membership.objects.filter(
        organization=actor.organization, user_id=OuterRef("user_id")
    ).values("role")[:1]
    return (
        ApiToken.objects.filter(organization=actor.organization)
        .select_related("user", "created_by")
        .annotate(role=Subquery(role))
        .order_by("-created_at", "-pk")
    )


def admin_token_lists(*, actor: Actor) -> tuple[list[ApiToken], list[ApiToken]]:
    """For the tokens page, in one query: the organization's tokens (with ``role``) and the
    members' usable personal tokens (an administrator's view; empty lists for anyone else)."""
    if not policy.can(actor, "member.manage") and not policy.can(actor, "token.org_manage"):
        return [], []
    members = Membership.objects.filter(organization=actor.organization).values("user_id")
    role = Membership.objects.filter(
        organization=actor.organization, user_id=OuterRef("user_id")
    ).values("role")[:1]
    rows = (
        ApiToken.objects.filter(
            Q(organization=actor.organization)
            | Q(user_id__in=members, revoked_at__isnull=True, organization__isnull=True)
        )
        .exclude(user_id=actor.user_id)
        .select_related("user", "created_by")
        .annotate(role=Subquery(role))
        .order_by("-created_at", "-pk")
    )
    org_tokens, member_tokens = [], []
    for token in rows:
        (org_tokens if token.organization_id else member_tokens).append(token)
    member_tokens.sort(key=lambda t: (t.user.email, -t.created_at.timestamp()))
    return org_tokens, member_tokens


def personal_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, organization__isnull=True).order_by(
        "-created_at", "-pk"
    )


def member_token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """For an administrator: the usable tokens of the organization's other members."""
    if not policy.can(actor, "member.manage"):
        return ApiToken.objects.none()
    members = Membership.objects.filter(organization=actor.organization).values("user_id")
    return (
        ApiToken.objects.filter(
            user_id__in=members, revoked_at__isnull=True, organization__isnull=True
        )
        .exclude(user_id=actor.user_id)
        .select_related("user")
        .order_by("user__email", "-created_at")
    )
