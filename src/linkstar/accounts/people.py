"""How people are named to whoever reads a page or an answer: a client (issue 15 §1) reads the
names of the organization's people, never their e-mail addresses; a person without a name is a
neutral word to it. The staff read the name, or the e-mail where there is no name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from linkstar.accounts.models import Membership, User
    from linkstar.core.actors import Actor


def hides_emails(viewer: Actor | None) -> bool:
    return viewer is not None and viewer.is_client


def _own(user, viewer: Actor) -> bool:
    return viewer.user_id is not None and user.pk == viewer.user_id


def person_name(user: User | None, viewer: Actor | None) -> str:
    """The name ``viewer`` reads for ``user`` ("" for nobody)."""
    if user is None:
        return ""
    if user.is_erased:
        return user.display_name
    if user.name:
        return user.name
    if not hides_emails(viewer) or _own(user, viewer):
        return user.email
    return _("Team member")


def shown_email(user: User | None, viewer: Actor | None) -> str:
    """``user``'s e-mail address as ``viewer`` may read it: "" for a client, but its own."""
    if user is None or (hides_emails(viewer) and not _own(user, viewer)):
        return ""
    return user.email


def member_email(membership: Membership, viewer: Actor | None) -> str:
    """A member's e-mail address as ``viewer`` may read it: a client reads its own and those of
    the other clients of its seller entity, not the staff's."""
    if (
        hides_emails(viewer)
        and membership.role == "client"
        and viewer.entity_id is not None
        and membership.entity_id == viewer.entity_id
    ):
        return membership.user.email
    return shown_email(membership.user, viewer)


def actor_label(label: str, user: User | None, viewer: Actor | None) -> str:
    """An audit event's actor as ``viewer`` reads it: the recorded label (an e-mail address, or
    ``<system>``), or for a client the person's name."""
    if user is not None and user.is_erased:
        return user.display_name
    if not hides_emails(viewer) or label.startswith("<"):
        return label
    return person_name(user, viewer) if user is not None else _("Team member")
