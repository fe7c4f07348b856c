"""Who is acting: the signed-in person (a page) or the token's user (the API) as a member of the
organization of the request; and the organization switcher of the layout."""

from __future__ import annotations

from urllib.parse import urlparse

from django.http import Http404
from django.urls import resolve

from linkstar.accounts import twofactor
from linkstar.accounts.models import Membership, Role
from linkstar.core import policy
from linkstar.core.actors import Actor, client_ip
from linkstar.core.exceptions import NotFound
from linkstar.core.web import LoginRequired


def actor_for(request, org: str) -> Actor:
    """The caller as a member of ``org``; not a member → 404, as if it did not exist."""
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=request.auth, organization__slug=org)
        .first()
    )
    if membership is None:
        raise NotFound()
    return Actor.from_membership(membership, ip=client_ip(request), via="api")


class TwoFactorEnrolmentRequired(LoginRequired):
    """The organization requires two-factor sign-in of its administrators and this one has not
    set it up: the sign-in page sends a signed-in user on to the setup (``LoginView``)."""


def web_actor(request, org: str) -> Actor:
    """The signed-in user as a member of ``org``; anyone else gets 404 (or the login page). An
    administrator of an organization that requires two-factor sign-in, without it, is sent to
    set it up before any page of the organization opens."""
    if not request.user.is_authenticated:
        raise LoginRequired()
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=request.user, organization__slug=org)
        .first()
    )
    if membership is None:
        raise Http404()
    if (
        membership.role == Role.ADMIN
        and membership.organization.require_admin_two_factor
        and not twofactor.has_two_factor(request.user)
    ):
        raise TwoFactorEnrolmentRequired()
    actor = Actor.from_membership(membership, ip=client_ip(request), via="web")
    request.actor = actor
    return actor


def navigation(request) -> dict:
    """The organization switcher and the current organization, for the layout."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    current = None
    try:
        slug = resolve(request.path_info).kwargs.get("org")
    except Http404:
        slug = None
    if slug:
        current = next((m for m in memberships if m.organization.slug == slug), None)
    return {
        "memberships": memberships,
        "current_membership": current,
        "current_org": current.organization if current else None,
        "current_path": urlparse(request.get_full_path()).path,
        # links shown only to those the policy lets through (no query: role rules), so that
        # nobody sees a link that would answer 403
        **_menu(request.user, current),
        # a client gets its own short menu: its stores, projects, requests and documents
        "client_menu": bool(current and current.role == Role.CLIENT and not current.is_owner),
    }


# menu entry → the action its page needs (without an object: the role's rule)
MENU_ACTIONS = {
    "may_import": "import.projects",
    "may_batch": "project.create",
    "may_audit": "audit.view",
    "may_browse_templates": "template.browse",
    "may_report": "report.view",
}


def _menu(user, membership) -> dict[str, bool]:
    if membership is None:
        return dict.fromkeys(MENU_ACTIONS, False)
    actor = Actor(
        user=user,
        organization=membership.organization,
        role=membership.role,
        is_owner=membership.is_owner,
        via="web",
    )
    return {name: policy.can(actor, action) for name, action in MENU_ACTIONS.items()}
