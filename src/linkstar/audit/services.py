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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from linkstar.audit import checkpoints as audit_checkpoints
from linkstar.audit import keys as audit_keys
from linkstar.audit.models import AuditChainHead, AuditEvent
from linkstar.core import clock

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

GENESIS = "0" * 64
KEYED = "hmac:"  # hash_scheme prefix of keyed events; "" is the plain SHA-256 of old events


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


def _payload(event: AuditEvent) -> list:
    at = event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return [
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


def _blob(payload: list) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def plain_digest(event: AuditEvent) -> str:
    """The unkeyed SHA-256 of the first version: anyone can recompute it."""
    return hashlib.sha256(_blob(_payload(event))).hexdigest()


def keyed_digest(event: AuditEvent, key: str) -> str:
    """HMAC-SHA256 with the audit key; the scheme (naming the key) is part of the message."""
    return audit_keys.mac(key, _blob([*_payload(event), event.hash_scheme]))


def _digest(event: AuditEvent, known: dict[str, str] | None = None) -> str | None:
    """The hash of ``event`` under its own scheme; None when its key is not configured."""
    if not event.hash_scheme:
        return plain_digest(event)
    key = (known if known is not None else audit_keys.known()).get(
        event.hash_scheme.removeprefix(KEYED)
    )
    return None if key is None else keyed_digest(event, key)


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
        key_id, key = audit_keys.current()
        scheme = KEYED + key_id
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
                hash_scheme=scheme,
            )
            event.hash = keyed_digest(event, key)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return events


# What a passing verification proves, and what it cannot, as codes; the page, the API and the
# command line say them in words (labels.verify_statement, cli, docs/api.md).
PROVES_CHAIN = "chain_intact"
PROVES_KEYED = "keyed"
PROVES_CHECKPOINT = "matches_checkpoint"
LIMIT_NO_CHECKPOINT = "no_checkpoint"
LIMIT_AFTER_CHECKPOINT = "after_checkpoint"
LIMIT_UNKEYED = "unkeyed"
LIMIT_KEY_HOLDER = "key_holder"


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    first_bad_seq: int | None = None
    reason: str = ""
    # What went wrong, for a translated message: missing, out_of_order, altered, truncated,
    # unkeyed (a plain hash where the keyed one is due), unknown_key, rewritten (differs from a
    # checkpoint), rewound (ends before its last checkpoint), deleted (no chain, but a
    # checkpoint), checkpoint_forged (a checkpoint line whose signature does not match).
    kind: str = ""
    head_seq: int = 0
    checkpoint: audit_checkpoints.Checkpoint | None = None
    unkeyed: int = 0
    proves: list[str] = field(default_factory=list)
    cannot_prove: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_id": self.first_bad_id,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "kind": self.kind,
            "head_seq": self.head_seq,
            "checkpoint": None if cp is None else {"seq": cp.seq, "hash": cp.hash, "at": cp.at},
            "unkeyed_events": self.unkeyed,
            "proves": self.proves,
            "cannot_prove": self.cannot_prove,
        }


class _Walk:
    """Follows a chain event by event: sequence, link, hash under the event's scheme, and the
    hashes checkpoints recorded. ``prev=None`` starts mid-chain (at a checkpointed event, whose
    checkpointed hash vouches for its link)."""

    def __init__(
        self,
        *,
        known: dict[str, str],
        prev: str | None,
        expected_seq: int,
        legacy_until: int | None,
        checkpointed: dict[int, set[str]],
    ) -> None:
        self.known = known
        self.prev = prev
        self.expected_seq = expected_seq
        self.legacy_until = legacy_until
        self.checkpointed = checkpointed
        self.keyed_seen = False
        self.checked = 0
        self.unkeyed = 0

    def fail(self, event: AuditEvent, reason: str, kind: str) -> VerifyResult:
        return VerifyResult(
            False, self.checked, event.pk, event.seq, reason, kind=kind, unkeyed=self.unkeyed
        )

    def step(self, event: AuditEvent) -> VerifyResult | None:
        self.checked += 1
        seq = event.seq
        if seq != self.expected_seq:
            return self.fail(
                event, f"event #{self.expected_seq} is missing before #{seq}", "missing"
            )
        if self.prev is not None and event.prev_hash != self.prev:
            return self.fail(event, f"event #{seq} does not follow its predecessor", "out_of_order")
        if event.hash_scheme:
            self.keyed_seen = True
        else:
            self.unkeyed += 1
            if self.keyed_seen or (self.legacy_until is not None and seq > self.legacy_until):
                return self.fail(
                    event,
                    f"event #{seq} carries a plain hash where the keyed hash is due: it was "
                    "rewritten without the audit key",
                    "unkeyed",
                )
        digest = _digest(event, self.known)
        if digest is None:
            return self.fail(
                event,
                f"event #{seq} was hashed with audit key {event.hash_scheme.removeprefix(KEYED)!r},"
                " which is not configured: it cannot be checked",
                "unknown_key",
            )
        if not audit_keys.same(digest, event.hash):
            return self.fail(event, f"event #{seq} was altered", "altered")
        expected = self.checkpointed.get(seq)
        if expected is not None and event.hash not in expected:
            return self.fail(
                event,
                f"event #{seq} is not the one a signed checkpoint recorded: the chain was "
                "rewritten",
                "rewritten",
            )
        self.prev, self.expected_seq = event.hash, seq + 1
        return None


def _checkpointed(points: list[audit_checkpoints.Checkpoint]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for point in points:
        found.setdefault(point.seq, set()).add(point.hash)
    return found


def verify_chain(
    *, organization_id: int, ledger: audit_checkpoints.Ledger | None = None
) -> VerifyResult:
    """Recompute the chain; report the first event that was changed, removed or reordered, then
    compare it with the signed checkpoints (the checkpoint file unless ``ledger`` is given):
    a chain that ends before its last checkpoint or differs from one was rewound or rewritten."""
    ledger = audit_checkpoints.read() if ledger is None else ledger
    points = ledger.of(organization_id)
    last = ledger.last(organization_id)
    walk = _Walk(
        known=audit_keys.known(),
        prev=GENESIS,
        expected_seq=1,
        legacy_until=min((p.seq for p in points), default=None),
        checkpointed=_checkpointed(points),
    )
    events = (
        AuditEvent.objects.filter(organization_id=organization_id).order_by("seq").iterator(2000)
    )
    for event in events:
        failure = walk.step(event)
        if failure is not None:
            failure.checkpoint = last
            return failure
    checked, prev, expected_seq = walk.checked, walk.prev, walk.expected_seq
    newest = expected_seq - 1

    def broken(reason: str, kind: str, seq: int | None = None) -> VerifyResult:
        return VerifyResult(
            False,
            checked,
            None,
            seq,
            reason,
            kind=kind,
            head_seq=newest,
            checkpoint=last,
            unkeyed=walk.unkeyed,
        )

    head = AuditChainHead.objects.filter(organization_id=organization_id).first()
    if head is not None and (head.last_seq != newest or head.last_hash != prev):
        return broken(
            f"the newest events after #{newest} were removed (chain head is #{head.last_seq})",
            "truncated",
            expected_seq,
        )
    if last is not None and newest < last.seq:
        if checked == 0 and head is None:
            return broken(
                f"the organization's chain is gone, but a signed checkpoint of {last.at} records "
                f"{last.seq} events",
                "deleted",
                1,
            )
        return broken(
            f"the chain ends at #{newest}, but a signed checkpoint of {last.at} records "
            f"#{last.seq}: the newest events were removed and the chain head rewound",
            "rewound",
            expected_seq,
        )
    for problem in ledger.problems_of(organization_id):
        if problem.kind == "unknown_key":
            return broken(
                f"checkpoint line {problem.line} of {ledger.source} was {problem.detail}, which "
                "is not configured: it cannot be checked",
                "unknown_key",
            )
        return broken(
            f"checkpoint line {problem.line} of {ledger.source} was forged or altered "
            f"({problem.detail})",
            "checkpoint_forged",
        )
    result = VerifyResult(True, checked, head_seq=newest, checkpoint=last, unkeyed=walk.unkeyed)
    result.proves.append(PROVES_CHAIN)
    if checked > walk.unkeyed:
        result.proves.append(PROVES_KEYED)
    if last is None:
        result.cannot_prove.append(LIMIT_NO_CHECKPOINT)
        if walk.unkeyed:
            result.cannot_prove.append(LIMIT_UNKEYED)
    else:
        result.proves.append(PROVES_CHECKPOINT)
        if newest > last.seq:
            result.cannot_prove.append(LIMIT_AFTER_CHECKPOINT)
    result.cannot_prove.append(LIMIT_KEY_HOLDER)
    return result


# --- checkpoints --------------------------------------------------------------------------------


@dataclass
class CheckpointRun:
    """What ``write_checkpoints`` did: the lines it appended, the newest checkpoint of every
    organization (for a backup manifest) and the chains it refused to checkpoint."""

    written: list[audit_checkpoints.Checkpoint] = field(default_factory=list)
    latest: list[audit_checkpoints.Checkpoint] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (org id, slug, reason)


def _check_since(
    head: AuditChainHead,
    last: audit_checkpoints.Checkpoint | None,
    legacy_until: int | None,
    known: dict[str, str],
) -> str:
    """Why the chain from its last checkpoint (or its start) to its head must not be
    checkpointed; "" when it may. Reads only the events since the last checkpoint."""
    if last is not None and head.last_seq < last.seq:
        return (
            f"the chain head is #{head.last_seq}, before the signed checkpoint of {last.at} at "
            f"#{last.seq}: the chain was rewound"
        )
    walk = _Walk(
        known=known,
        prev=None if last else GENESIS,
        expected_seq=last.seq if last else 1,
        legacy_until=legacy_until,
        checkpointed={last.seq: {last.hash}} if last else {},
    )
    events = AuditEvent.objects.filter(
        organization_id=head.organization_id,
        seq__gte=walk.expected_seq,
        seq__lte=head.last_seq,
    ).order_by("seq")
    for event in events.iterator(2000):
        failure = walk.step(event)
        if failure is not None:
            return failure.reason
    if walk.expected_seq - 1 != head.last_seq or walk.prev != head.last_hash:
        return "the chain head does not match the newest event"
    return ""


def write_checkpoints(*, reason: str, organization_ids: list[int] | None = None) -> CheckpointRun:
    """Append a signed checkpoint of every organization whose chain head moved since its last
    checkpoint (one line each; nothing for the others), after checking the events written since
    then: a chain that was rewound or rewritten is never checkpointed, only reported."""
    ledger = audit_checkpoints.read()
    known = audit_keys.known()
    run = CheckpointRun()
    at = clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    heads = AuditChainHead.objects.select_related("organization").order_by("organization_id")
    wanted = set(ledger.organization_ids())
    if organization_ids is not None:
        heads = heads.filter(organization_id__in=organization_ids)
        wanted &= set(organization_ids)
    seen = set()
    for head in heads:
        org_id = head.organization_id
        seen.add(org_id)
        last = ledger.last(org_id)
        if last is not None and last.seq == head.last_seq and last.hash == head.last_hash:
            run.latest.append(last)
            continue
        if head.last_seq == 0:
            continue
        points = ledger.of(org_id)
        with transaction.atomic():
            head.refresh_from_db(fields=["last_seq", "last_hash"])
            refusal = _check_since(head, last, min((p.seq for p in points), default=None), known)
        slug = head.organization.slug
        if refusal:
            run.refused.append((org_id, slug, refusal))
            if last is not None:
                run.latest.append(last)
            continue
        point = audit_checkpoints.sign(
            organization_id=org_id,
            slug=slug,
            seq=head.last_seq,
            hash=head.last_hash,
            at=at,
            reason=reason,
        )
        run.written.append(point)
        run.latest.append(point)
    for org_id in sorted(wanted - seen):
        last = ledger.last(org_id)
        if last is not None:
            run.latest.append(last)
            run.refused.append(
                (org_id, last.slug, f"no chain, but a signed checkpoint records #{last.seq}")
            )
    audit_checkpoints.append(run.written)
    return run
