"""The one place that decides permissions — the mechanism, not the rules.

``can(actor, action, obj)`` answers yes/no; ``require`` raises ``PermissionDenied`` with the
action's message. Each app registers the rules of its own actions in its ``permissions.py``
(``register({...}, {...})``), read once at start (``CoreConfig.ready``); an action nobody
registered is a programming error. Visibility (what an actor may see at all) is expressed as
querysets by the apps that own the objects (``projects/visibility.py``): an object outside them
is *not found*, never *forbidden*, so nothing leaks across organizations or past a client's own
entity.

Roles (DESIGN.md §1): admin everything; manager creates projects and runs the ones they manage;
operator works on tasks of projects they are on; reviewer decides approvals and may do what an
operator may; auditor reads everything and changes nothing; client sees its own entity's projects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from linkstar.core.exceptions import NotFound, PermissionDenied

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

Rule = Callable[["Actor", Any], bool]

RULES: dict[str, Rule] = {}
DENIED_MESSAGES: dict[str, Any] = {}


def register(rules: dict[str, Rule], denied: dict[str, Any] | None = None) -> None:
    """Add an app's actions: ``rules`` maps each action to ``rule(actor, obj) -> bool``,
    ``denied`` the same actions to the (lazy, translated) sentence a refused person reads."""
    for action, rule in rules.items():
        if action in RULES and RULES[action] is not rule:
            raise ImproperlyConfigured(f"permission {action!r} is registered twice")
        RULES[action] = rule
    unknown = set(denied or {}) - set(rules)
    if unknown:
        raise ImproperlyConfigured(f"messages for actions not registered here: {sorted(unknown)}")
    DENIED_MESSAGES.update(denied or {})


def can(actor: Actor, action: str, obj=None) -> bool:
    if (
        obj is not None
        and getattr(obj, "organization_id", actor.organization.pk) != actor.organization.pk
    ):
        return False
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(rule(actor, obj))


def require(actor: Actor, action: str, obj=None) -> None:
    if (
        obj is not None
        and getattr(obj, "organization_id", actor.organization.pk) != actor.organization.pk
    ):
        raise NotFound()
    if not can(actor, action, obj):
        raise PermissionDenied(DENIED_MESSAGES.get(action))


def get_visible(qs: QuerySet, **lookup):
    """One object from a visibility queryset, or ``NotFound`` (never ``PermissionDenied``)."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
