"""Announcements between apps: a lower app says what happened, the apps above it that must react
listen — without the lower app importing them, so no import cycle is needed for a reaction.

An app listens in its ``listeners.py`` (read once at start by ``CoreConfig.ready``) with
``@listen(NAME)``; the announcing service calls ``announce(NAME, **payload)`` in its own
transaction, and every listener runs there, in the order the apps are installed. A listener may
refuse what is announced by raising a ``DomainError`` (a gate): the announcing service's change
is then refused as a whole. ``gather(NAME, **payload)`` is an announcement whose listeners each
answer a list; the service gets them in one list. The names are listed here, each with its
payload and who listens, so that what reacts to what can be read in one place:

- ``ACCOUNT_LOCKED`` (``email``): failed sign-ins locked an account for a while
  (``accounts/throttle.py``). Delivery mails its owner.
- ``ENTITY_IDENTIFIERS_CHANGED`` (``entity_id``): the identifiers of a seller entity were written
  (``entities/identifiers.py``). Compliance finds the association risks of its projects again.
- ``ENTITY_ERASING`` (``organization_id``, ``entity_id``, ``project_ids``), gathered: a seller entity's personal data
  is being erased on request (``documents/privacy.py``). Document requests clear their waiting
  uploads and archives expire the archives of its projects; each answers the storage names of
  the files to delete once the erasure commits. Notifications drop the file names their events
  of its projects carry (answering none).
- ``PERSON_ERASING`` (``user_id``): a person's personal data is being erased on request
  (``accounts/services.py``). Notifications drop their preferences, delivery their chat handles.
- ``PROJECTS_CREATED`` (``projects``): projects were created, or a cancelled one restored
  (``projects/services``). Compliance finds their association risks, one detection for all;
  reports record their facts.
- ``PROJECTS_CHANGED`` (``project_ids``): projects moved stage, were changed (manager, dates),
  closed, restored or upgraded (``projects/services``). Reports recompute their facts and the
  forecast of their opening.
- ``STAGE_MOVING`` (``project``, ``stage``): a project is about to move stage. Compliance's
  readiness and association-risk gates may refuse it (409).
- ``TASK_COMPLETING`` (``task``, ``documents_confirmed``): a task is about to be done or sent for
  approval. Compliance refuses it while its documents are missing (unless confirmed) and meets
  the stage gate of a task that moves its project.
- ``TASK_DOCUMENT_GAPS`` (``task``), gathered: the task's document types missing or expired on
  the project's entity, in words (compliance).
- ``TASK_AWAITS_APPROVAL`` (``actor``, ``task``), gathered: a task needing approval was done.
  Approvals opens its request and answers it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

ACCOUNT_LOCKED = "accounts.locked"
ENTITY_IDENTIFIERS_CHANGED = "entities.identifiers_changed"
ENTITY_ERASING = "documents.entity_erasing"
PERSON_ERASING = "accounts.person_erasing"
PROJECTS_CREATED = "projects.created"
PROJECTS_CHANGED = "projects.changed"
STAGE_MOVING = "projects.stage_moving"
TASK_COMPLETING = "projects.task_completing"
TASK_DOCUMENT_GAPS = "projects.task_document_gaps"
TASK_AWAITS_APPROVAL = "projects.task_awaits_approval"
NAMES = frozenset(
    {
        ACCOUNT_LOCKED,
        ENTITY_IDENTIFIERS_CHANGED,
        ENTITY_ERASING,
        PERSON_ERASING,
        PROJECTS_CREATED,
        PROJECTS_CHANGED,
        STAGE_MOVING,
        TASK_COMPLETING,
        TASK_DOCUMENT_GAPS,
        TASK_AWAITS_APPROVAL,
    }
)

_LISTENERS: dict[str, list[Callable[..., None]]] = defaultdict(list)


def _listeners(name: str) -> list[Callable[..., None]]:
    if name not in NAMES:
        raise ImproperlyConfigured(f"unknown announcement {name!r}")
    return _LISTENERS[name]


def listen(name: str):
    """``@listen(NAME)``: call the function with the payload whenever NAME is announced."""
    listeners = _listeners(name)

    def register(function: Callable[..., None]) -> Callable[..., None]:
        if function not in listeners:
            listeners.append(function)
        return function

    return register


def announce(name: str, **payload) -> None:
    for function in list(_listeners(name)):
        function(**payload)


def gather(name: str, **payload) -> list:
    """Announce, and collect every listener's answer (a list each) in one list."""
    answers: list = []
    for function in list(_listeners(name)):
        answers.extend(function(**payload) or ())
    return answers
