"""Signed checkpoints of the organizations' chain heads, kept outside the database.

A checkpoint says "on <time>, organization <id>'s chain had <seq> events and its newest hash was
<hash>", signed with the audit key (HMAC-SHA256). Checkpoints are appended, one JSON object a
line, to ``LINKSTAR_AUDIT_CHECKPOINT_FILE`` (``<data dir>/audit/checkpoints.jsonl``), and each
backup's manifest carries the newest one of every organization. ``verify_chain`` compares the
database with them: a chain that ends before its last checkpoint, or whose event at a
checkpointed sequence has another hash, was rewound, truncated or rewritten.

This module only reads, signs and appends lines; what to checkpoint (after checking the chain
since the previous checkpoint) is ``services.write_checkpoints``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from linkstar.audit import keys

VERSION = 1
SIGNED_FIELDS = ("v", "org", "slug", "seq", "hash", "at", "reason", "key")


@dataclass(frozen=True)
class Checkpoint:
    organization_id: int
    slug: str
    seq: int
    hash: str
    at: str  # ISO 8601, UTC
    reason: str  # periodic, backup, verify, command, restore
    key: str  # the id of the audit key that signed it
    sig: str
    line: int = 0  # line number in the file (0: not from the file)

    def as_line(self) -> dict:
        return {
            "v": VERSION,
            "org": self.organization_id,
            "slug": self.slug,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "reason": self.reason,
            "key": self.key,
            "sig": self.sig,
        }


def _message(fields: dict) -> bytes:
    payload = {name: fields.get(name) for name in SIGNED_FIELDS}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(*, organization_id: int, slug: str, seq: int, hash: str, at: str, reason: str):
    key_id, key = keys.current()
    fields = {
        "v": VERSION,
        "org": organization_id,
        "slug": slug,
        "seq": seq,
        "hash": hash,
        "at": at,
        "reason": reason,
        "key": key_id,
    }
    return Checkpoint(
        organization_id, slug, seq, hash, at, reason, key_id, keys.mac(key, _message(fields))
    )


@dataclass
class Problem:
    """A line that cannot be trusted: ``forged`` (bad signature or damaged) or ``unknown_key``
    (signed with an audit key that is not configured)."""

    line: int
    kind: str
    organization_id: int | None
    detail: str


@dataclass
class Ledger:
    """What a checkpoint file (or a manifest's list) holds, its signatures checked."""

    source: str
    valid: dict[int, list[Checkpoint]] = field(default_factory=lambda: defaultdict(list))
    problems: list[Problem] = field(default_factory=list)

    def of(self, organization_id: int) -> list[Checkpoint]:
        return self.valid.get(organization_id, [])

    def last(self, organization_id: int) -> Checkpoint | None:
        found = self.of(organization_id)
        return max(found, key=lambda c: c.seq) if found else None

    def problems_of(self, organization_id: int) -> list[Problem]:
        """The untrusted lines naming this organization, and the damaged lines that name none
        (they could have been this organization's)."""
        return [p for p in self.problems if p.organization_id in (organization_id, None)]

    def organization_ids(self) -> set[int]:
        ids = set(self.valid)
        ids.update(p.organization_id for p in self.problems if p.organization_id is not None)
        return ids


def _parse(entry, line: int, known: dict[str, str], ledger: Ledger) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("org"), int):
        ledger.problems.append(Problem(line, "forged", None, "not a checkpoint"))
        return
    org = entry["org"]
    key = known.get(str(entry.get("key")))
    if key is None:
        ledger.problems.append(
            Problem(line, "unknown_key", org, f"signed with audit key {entry.get('key')!r}")
        )
        return
    sig = entry.get("sig")
    if (
        not isinstance(sig, str)
        or not keys.same(keys.mac(key, _message(entry)), sig)
        or not isinstance(entry.get("seq"), int)
    ):
        ledger.problems.append(Problem(line, "forged", org, "the signature does not match"))
        return
    ledger.valid[org].append(
        Checkpoint(
            organization_id=org,
            slug=str(entry.get("slug", "")),
            seq=entry["seq"],
            hash=str(entry.get("hash", "")),
            at=str(entry.get("at", "")),
            reason=str(entry.get("reason", "")),
            key=str(entry["key"]),
            sig=sig,
            line=line,
        )
    )


def path() -> Path:
    return Path(settings.LINKSTAR_AUDIT_CHECKPOINT_FILE)


def read(file: Path | None = None) -> Ledger:
    """Every line of the checkpoint file, signatures checked (a missing file holds none)."""
    file = file or path()
    ledger = Ledger(source=str(file))
    known = keys.known()
    try:
        handle = open(file, encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return ledger
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                entry = json.loads(text)
            except json.JSONDecodeError:
                ledger.problems.append(Problem(number, "forged", None, "damaged line"))
                continue
            _parse(entry, number, known, ledger)
    return ledger


def from_lines(entries: list, source: str) -> Ledger:
    """The checkpoints of a backup manifest, signatures checked."""
    ledger = Ledger(source=source)
    known = keys.known()
    for number, entry in enumerate(entries, start=1):
        _parse(entry, number, known, ledger)
    return ledger


def append(checkpoints: list[Checkpoint] | list[dict], file: Path | None = None) -> None:
    """Append lines to the file in one write, under an exclusive lock (two processes writing at
    once never interleave); the file and its folder are private (0600/0700)."""
    if not checkpoints:
        return
    file = file or path()
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines = [c.as_line() if isinstance(c, Checkpoint) else c for c in checkpoints]
    blob = "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines
    ).encode("utf-8")
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.write(fd, blob)
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
