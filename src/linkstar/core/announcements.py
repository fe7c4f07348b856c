"""Announcements between apps: a lower app says what happened, the apps above it that must react
listen — without the lower app importing them, so no import cycle is needed for a reaction.

An app listens in its ``listeners.py`` (read once at start by ``CoreConfig.ready``) with
``@listen(NAME)``; the announcing service calls ``announce(NAME, **payload)`` in its own
transaction, and every listener runs there, in the order the apps are installed. The names are
listed here, each with its payload, so that what reacts to what can be read in one place:

- ``ENTITY_IDENTIFIERS_CHANGED`` (``entity_id``): the identifiers of a seller entity were written
  (``entities/identifiers.py``). Compliance finds the association risks of its projects again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

ENTITY_IDENTIFIERS_CHANGED = "entities.identifiers_changed"
NAMES = frozenset({ENTITY_IDENTIFIERS_CHANGED})

_LISTENERS: dict[str, list[Callable[..., None]]] = defaultdict(list)


def listen(name: str):
    """``@listen(NAME)``: call the function with the payload whenever NAME is announced."""
    if name not in NAMES:
        raise ImproperlyConfigured(f"unknown announcement {name!r}")

    def register(function: Callable[..., None]) -> Callable[..., None]:
        if function not in _LISTENERS[name]:
            _LISTENERS[name].append(function)
        return function

    return register


def announce(name: str, **payload) -> None:
    if name not in NAMES:
        raise ImproperlyConfigured(f"unknown announcement {name!r}")
    for function in list(_LISTENERS[name]):
        function(**payload)
