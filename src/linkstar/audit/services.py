"""Writing and verifying the audit trail.

Every service write calls :func:`record` inside its own transaction, so an event exists exactly
when the change does. Events of one organization form a chain: each event's hash covers its
content and the previous event's hash; the chain head keeps the last link so that removing the
newest events is detected too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from linkstar.audit.models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """A value as JSON stores it (dates as ISO text, sets as lists), for events and audit."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """``{"field": {"before": x, "after": y}}`` for the fields whose value changed."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def _digest(event: AuditEvent) -> str:
    at = event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [
        event.organization_id,
        event.seq,
        at,
        event.actor_id,
        event.actor_label,
        event.ip,
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        event.project_id,
        event.changes,
        event.prev_hash,
    ]
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Entry:
    action: str
    object_type: str
    object_id: Any
    object_repr: str = ""
    changes: dict | None = None
    project_id: int | None = None


def record(
    *,
    actor: Actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_id: Any = None,
    changes: dict | None = None,
    project_id: int | None = None,
) -> AuditEvent:
    """Append one event to the actor's organization chain (inside the caller's transaction)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk if object_id is None else object_id
    entry = Entry(
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_repr=str(obj)[:300] if obj is not None else "",
        changes=changes,
        project_id=project_id,
    )
    return record_many(actor=actor, entries=[entry])[0]


def record_many(*, actor: Actor, entries: list[Entry]) -> list[AuditEvent]:
    """Append several events in one locked step and one bulk insert (batch operations)."""
    if not entries:
        return []
    org_id = actor.organization.pk
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            organization_id=org_id
        )
        now = timezone.now()
        events = []
        prev, seq = head.last_hash, head.last_seq
        for entry in entries:
            seq += 1
            event = AuditEvent(
                organization_id=org_id,
                seq=seq,
                at=now,
                actor_id=actor.user_id,
                actor_label=actor.label[:254],
                ip=(actor.ip or "")[:64],
                action=entry.action,
                object_type=entry.object_type,
                object_id=str(entry.object_id),
                object_repr=entry.object_repr[:300],
                project_id=entry.project_id,
                changes=jsonable(entry.changes or {}),
                prev_hash=prev,
            )
            event.hash = _digest(event)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return events


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    first_bad_seq: int | None = None
    reason: str = ""
    # What went wrong, for a translated message: missing, out_of_order, altered, truncated.
    kind: str = ""

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_id": self.first_bad_id,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


def verify_chain(*, organization_id: int) -> VerifyResult:
    """Recompute the chain; report the first event that was changed, removed or reordered."""
    prev, expected_seq, checked = GENESIS, 1, 0
    events = (
        AuditEvent.objects.filter(organization_id=organization_id).order_by("seq").iterator(2000)
    )
    for event in events:
        checked += 1
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                event.pk,
                event.seq,
                f"event #{expected_seq} is missing before #{event.seq}",
                kind="missing",
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                event.pk,
                event.seq,
                f"event #{event.seq} does not follow its predecessor",
                kind="out_of_order",
            )
        if _digest(event) != event.hash:
            return VerifyResult(
                False,
                checked,
                event.pk,
                event.seq,
                f"event #{event.seq} was altered",
                kind="altered",
            )
        prev, expected_seq = event.hash, expected_seq + 1
    head = AuditChainHead.objects.filter(organization_id=organization_id).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        return VerifyResult(
            False,
            checked,
            None,
            expected_seq,
            f"the newest events after #{expected_seq - 1} were removed (chain head is #{head.last_seq})",
            kind="truncated",
        )
    return VerifyResult(True, checked)
