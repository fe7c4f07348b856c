"""Publishing domain events from the services.

A service calls :func:`publish` inside its transaction, after its audit record. The event row
commits with the change (or not at all); on commit its fan-out job is enqueued. A dead chat
channel or a slow mail server therefore never blocks or fails the request that caused it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from linkstar.audit.services import jsonable
from linkstar.core import jobs
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event

if TYPE_CHECKING:
    from linkstar.core.actors import Actor


def _row(
    kind: str,
    *,
    actor: Actor,
    project=None,
    task=None,
    obj=None,
    data=None,
    dedupe_key=None,
    batch_key=None,
    project_id=None,
    task_id=None,
    object_type="",
    object_id="",
):
    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    if task is not None and project is None:
        project = task.project
    ids = {}
    if project is None and project_id is not None:
        ids["project_id"] = project_id
    if task is None and task_id is not None:
        ids["task_id"] = task_id
    return Event(
        organization=actor.organization,
        kind=kind,
        actor_id=actor.user_id,
        project=project,
        task=task,
        **ids,
        object_type=obj._meta.model_name if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else str(object_id),
        data=jsonable(data or {}),
        dedupe_key=dedupe_key,
        batch_key=batch_key,
    )


def _enqueue(event_ids: list[int]) -> None:
    if event_ids:
        jobs.enqueue("delivery.process_events", event_ids)


def publish(
    kind: str,
    *,
    actor: Actor,
    project=None,
    task=None,
    obj=None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Record one event in the caller's transaction; its fan-out runs after commit."""
    event = _row(kind, actor=actor, project=project, task=task, obj=obj, data=data)
    event.save()
    transaction.on_commit(lambda: _enqueue([event.pk]))
    return event


def new_batch_key() -> str:
    return uuid.uuid4().hex


def publish_many(kind: str, *, actor: Actor, items: list[dict[str, Any]]) -> list[Event]:
    """Many events of one kind in one insert (batch creation, risk detection, bulk changes,
    imports); each item holds the keyword arguments of :func:`publish` (project, task, obj,
    data). Two or more events share a batch key: each person and each chat channel is then told
    once, with a summary (``fanout.process_event``), while each event keeps its own row (audit
    trail, integration webhooks)."""
    batch_key = new_batch_key() if len(items) > 1 else None
    rows = [_row(kind, actor=actor, batch_key=batch_key, **item) for item in items]
    # SQLite (3.35+) and PostgreSQL both return the new ids from a bulk insert.
    events = Event.objects.bulk_create(rows)
    ids = [e.pk for e in events]
    transaction.on_commit(lambda: _enqueue(ids))
    return events


def publish_once(kind: str, *, actor: Actor, dedupe_key: str, **kwargs) -> Event | None:
    """A scheduled event (a reminder): created at most once per ``dedupe_key`` in the
    organization, however many workers or restarts try. Returns None when it already exists."""
    event = _row(kind, actor=actor, dedupe_key=dedupe_key, **kwargs)
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # the unique key: another worker or an earlier run made it
        return None
    transaction.on_commit(lambda: _enqueue([event.pk]))
    return event


def publish_once_many(
    kind: str, *, actor: Actor, items: list[dict[str, Any]], enqueue: bool = True
) -> int:
    """Scheduled events in bulk (the reminder scan): each item holds the keyword arguments of
    :func:`publish_once` (``dedupe_key`` required; ids may be given as ``project_id``,
    ``task_id``, ``object_type``/``object_id``). A key that exists already — from an earlier
    scan or another worker scanning right now — is skipped by the unique constraint, in the
    database, so each reminder exists once. Their fan-out is enqueued on commit (with any other
    scheduled event still waiting: fanning out twice makes nothing twice). The items of one
    call share a batch key, so one scan tells a person once per kind. Returns how many items
    were offered."""
    batch_key = new_batch_key() if len(items) > 1 else None
    rows = [_row(kind, actor=actor, batch_key=batch_key, **item) for item in items]
    if not rows:
        return 0
    Event.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    if enqueue:
        transaction.on_commit(lambda: enqueue_pending(actor.organization.pk))
    return len(rows)


def enqueue_pending(organization_id: int) -> None:
    """Enqueue the fan-out of the organization's scheduled events not yet processed."""
    ids = list(
        Event.objects.filter(
            organization_id=organization_id, processed_at__isnull=True, dedupe_key__isnull=False
        ).values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 200):
        _enqueue(ids[start : start + 200])
