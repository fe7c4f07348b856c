"""Issue 17 §3: the audit chain cannot be rewritten unnoticed. Events carry a hash keyed with the
audit key (kept outside the database) and signed checkpoints of every chain head are written
outside the database; ``verify_chain`` detects against them the attacks that passed before:
deleting the newest rows and rewinding the head, deleting an organization's chain, rewriting a
row and recomputing the later hashes with the plain SHA-256, and a forged checkpoint line.

Each attack is shown passing a verification without checkpoints (``NO_CHECKPOINTS``: what the
first version checked) and failing the real one."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from linkstar.audit import checkpoints, keys
from linkstar.audit.models import AuditChainHead, AuditEvent
from linkstar.audit.services import (
    GENESIS,
    keyed_digest,
    plain_digest,
    record,
    verify_chain,
    write_checkpoints,
)
from linkstar.audit.tasks import PERIODIC, checkpoint_chains
from linkstar.cli import main as linkstar
from tests.support.seed import actor_of

TABLE = AuditEvent._meta.db_table
HEADS = AuditChainHead._meta.db_table


def no_checkpoints():
    return checkpoints.Ledger(source="nothing")


def raw_sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def chain(org) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=org).order_by("seq"))


def set_head(org, event: AuditEvent | None) -> None:
    raw_sql(
        f"UPDATE {HEADS} SET last_seq = %s, last_hash = %s WHERE organization_id = %s",
        [event.seq if event else 0, event.hash if event else GENESIS, org.pk],
    )


def rewrite_from(org, index: int, *, scheme: str | None = None, **columns) -> None:
    """The attacker's rewrite through SQL: change event ``index`` and recompute the hash of it
    and of every later event with the plain SHA-256 (the audit key is not in the database),
    then move the chain head along."""
    events = chain(org)
    prev = events[index].prev_hash
    for position, event in enumerate(events[index:]):
        if position == 0:
            for name, value in columns.items():
                setattr(event, name, value)
        if scheme is not None:
            event.hash_scheme = scheme
        event.prev_hash = prev
        event.hash = plain_digest(event)
        prev = event.hash
        raw_sql(
            f"UPDATE {TABLE} SET changes = %s, actor_label = %s, prev_hash = %s, hash = %s, "
            "hash_scheme = %s WHERE id = %s",
            [
                json.dumps(event.changes),
                event.actor_label,
                event.prev_hash,
                event.hash,
                event.hash_scheme,
                event.pk,
            ],
        )
    set_head(org, events[-1])


def make_legacy(org) -> None:
    """The organization's chain as the first version wrote it: plain SHA-256, no scheme."""
    rewrite_from(org, 0, scheme="")


@pytest.fixture
def events(org, project):
    events = chain(org)
    assert len(events) >= 6
    return events


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- the keyed hash -----------------------------------------------------------------------------


def test_new_events_carry_a_hash_keyed_with_the_audit_key(org, events, settings):
    key_id, key = keys.current()
    assert key == settings.LINKSTAR_AUDIT_KEY and len(key) >= 32
    for event in events:
        assert event.hash_scheme == f"hmac:{key_id}"
        assert event.hash == keyed_digest(event, key)
        assert event.hash != plain_digest(event)
    result = verify_chain(organization_id=org.pk)
    assert result.ok and result.unkeyed == 0
    assert "keyed" in result.proves


def test_a_row_changed_and_rehashed_with_plain_sha256_fails_verify(org, events):
    rewrite_from(org, 2, actor_label="mallory@example.com")
    # The attacker kept the scheme: the keyed hash no longer matches.
    result = verify_chain(organization_id=org.pk, ledger=no_checkpoints())
    assert not result.ok and result.kind == "altered"
    assert result.first_bad_id == events[2].pk


def test_a_rewrite_that_claims_the_plain_scheme_fails_verify(org, events):
    """Claiming the first version's plain hash does not help: after a keyed event, a plain one
    is a rewrite."""
    rewrite_from(org, 3, scheme="", actor_label="mallory@example.com")
    result = verify_chain(organization_id=org.pk, ledger=no_checkpoints())
    assert not result.ok and result.kind == "unkeyed"
    assert result.first_bad_seq == events[3].seq


def test_a_rewrite_with_another_key_fails_verify(org, events):
    event = events[4]
    event.actor_label = "mallory@example.com"
    raw_sql(
        f"UPDATE {TABLE} SET actor_label = %s, hash = %s WHERE id = %s",
        [event.actor_label, keyed_digest(event, "a guessed key"), event.pk],
    )
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "altered" and result.first_bad_id == event.pk


def test_chains_written_with_the_plain_hash_still_verify(org, events):
    make_legacy(org)
    result = verify_chain(organization_id=org.pk)
    assert result.ok, result.reason
    assert result.unkeyed == len(events)
    assert result.proves == ["chain_intact"]
    assert result.cannot_prove == ["no_checkpoint", "unkeyed", "key_holder"]
    # New events are keyed and follow the old ones.
    record(actor=actor_of(org, org_owner(org)), action="test.event", object_type="x", object_id=1)
    *_, before, newest = chain(org)
    assert newest.hash_scheme.startswith("hmac:") and newest.prev_hash == before.hash
    assert verify_chain(organization_id=org.pk).ok


def org_owner(org):
    return AuditEvent.objects.filter(organization=org).exclude(actor=None).first().actor


def test_a_plain_hash_chain_is_anchored_by_its_first_checkpoint(org, events):
    make_legacy(org)
    assert write_checkpoints(reason="command").written
    assert verify_chain(organization_id=org.pk).cannot_prove == ["key_holder"]
    rewrite_from(org, 2, scheme="", actor_label="mallory@example.com")
    assert verify_chain(organization_id=org.pk, ledger=no_checkpoints()).ok  # passed before
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "rewritten"
    assert result.first_bad_seq == events[-1].seq


def test_a_former_audit_key_keeps_its_events_verifiable(org, events, settings):
    old = settings.LINKSTAR_AUDIT_KEY
    write_checkpoints(reason="command")
    settings.LINKSTAR_AUDIT_KEY = "a new audit key " * 4
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "unknown_key"
    settings.LINKSTAR_AUDIT_OLD_KEYS = [old]
    assert verify_chain(organization_id=org.pk).ok
    record(actor=actor_of(org, org_owner(org)), action="test.event", object_type="x", object_id=1)
    assert chain(org)[-1].hash_scheme == f"hmac:{keys.key_id(settings.LINKSTAR_AUDIT_KEY)}"
    assert verify_chain(organization_id=org.pk).ok


# --- checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_is_a_signed_line_per_moved_chain(org, other_org, events, checkpoint_file):
    run = write_checkpoints(reason="command")
    assert {p.organization_id for p in run.written} == {org.pk, other_org.pk}
    written = {line["org"]: line for line in lines(checkpoint_file)}
    assert written[org.pk]["seq"] == events[-1].seq
    assert written[org.pk]["hash"] == events[-1].hash
    assert written[org.pk]["slug"] == "acme" and written[org.pk]["at"].endswith("Z")
    assert written[org.pk]["key"] == keys.current()[0] and len(written[org.pk]["sig"]) == 64
    assert oct(checkpoint_file.stat().st_mode & 0o777) == "0o600"
    # Nothing moved: nothing written.
    assert write_checkpoints(reason="command").written == []
    record(actor=actor_of(org, org_owner(org)), action="test.event", object_type="x", object_id=1)
    assert [p.organization_id for p in write_checkpoints(reason="command").written] == [org.pk]
    assert len(lines(checkpoint_file)) == 3
    result = verify_chain(organization_id=org.pk)
    assert result.ok and result.checkpoint.seq == result.head_seq == events[-1].seq + 1
    assert result.proves == ["chain_intact", "keyed", "matches_checkpoint"]
    assert result.cannot_prove == ["key_holder"]


def test_events_after_the_last_checkpoint_are_named_as_unproven(org, events):
    write_checkpoints(reason="command")
    record(actor=actor_of(org, org_owner(org)), action="test.event", object_type="x", object_id=1)
    result = verify_chain(organization_id=org.pk)
    assert result.ok
    assert result.cannot_prove == ["after_checkpoint", "key_holder"]


def test_deleting_the_newest_rows_and_rewinding_the_head_fails_verify(org, events):
    write_checkpoints(reason="command")
    raw_sql(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [events[-1].pk, events[-2].pk])
    set_head(org, events[-3])
    assert verify_chain(organization_id=org.pk, ledger=no_checkpoints()).ok  # passed before
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "rewound"
    assert result.head_seq == events[-3].seq and result.checkpoint.seq == events[-1].seq
    assert "rewound" in result.reason
    # and it is not checkpointed again in its rewound state
    run = write_checkpoints(reason="command")
    assert run.written == [] and [r[0] for r in run.refused] == [org.pk]


def test_deleting_an_organizations_rows_and_head_fails_verify(org, other_org, events):
    write_checkpoints(reason="command")
    raw_sql(f"DELETE FROM {TABLE} WHERE organization_id = %s", [org.pk])
    raw_sql(f"DELETE FROM {HEADS} WHERE organization_id = %s", [org.pk])
    assert verify_chain(organization_id=org.pk, ledger=no_checkpoints()).ok  # passed before
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "deleted" and result.checked == 0
    assert verify_chain(organization_id=other_org.pk).ok
    run = write_checkpoints(reason="backup")
    assert org.pk in {p.organization_id for p in run.latest}  # still carried into a manifest
    assert [r[0] for r in run.refused] == [org.pk]


def test_a_rewrite_back_to_the_checkpoint_fails_verify_even_with_the_key_scheme(org, events):
    """Rows rewritten up to the checkpointed one with valid-looking plain hashes: the hash at the
    checkpointed sequence differs from the signed one."""
    write_checkpoints(reason="command")
    rewrite_from(org, 1, scheme="", actor_label="mallory@example.com")
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind in {"unkeyed", "rewritten"}


@pytest.mark.parametrize(
    "forge",
    [
        lambda line: {**line, "seq": line["seq"] + 5},
        lambda line: {**line, "hash": "f" * 64},
        lambda line: {**line, "at": "2030-01-01T00:00:00.000000Z"},
        lambda line: {**line, "sig": "0" * 64},
    ],
    ids=["seq", "hash", "at", "sig"],
)
def test_a_tampered_checkpoint_line_fails_verify(org, events, checkpoint_file, forge):
    write_checkpoints(reason="command")
    original = lines(checkpoint_file)
    changed = [forge(line) if line["org"] == org.pk else line for line in original]
    checkpoint_file.write_text("".join(json.dumps(line) + "\n" for line in changed))
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "checkpoint_forged"
    assert "line 1" in result.reason


def test_a_checkpoint_signed_with_another_key_is_forged(org, events, checkpoint_file, settings):
    real = settings.LINKSTAR_AUDIT_KEY
    settings.LINKSTAR_AUDIT_KEY = "an attacker's key " * 3
    forged = checkpoints.sign(
        organization_id=org.pk, slug="acme", seq=99, hash="f" * 64, at="2030", reason="x"
    ).as_line()
    settings.LINKSTAR_AUDIT_KEY = real
    forged["key"] = keys.current()[0]  # claims the real key
    checkpoints.append([forged])
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "checkpoint_forged"


def test_a_damaged_checkpoint_line_fails_verify(org, events, checkpoint_file):
    write_checkpoints(reason="command")
    with open(checkpoint_file, "a") as handle:
        handle.write('{"org": \n')
    result = verify_chain(organization_id=org.pk)
    assert not result.ok and result.kind == "checkpoint_forged"


def test_the_worker_checkpoints_periodically(org, events, checkpoint_file):
    assert [(p.name, p.every.total_seconds()) for p in PERIODIC] == [("audit.checkpoint", 3600)]
    assert checkpoint_chains.call()["written"] == 1
    assert checkpoint_chains.call()["written"] == 0
    assert [line["reason"] for line in lines(checkpoint_file)] == ["periodic"]


# --- the API, the page and the command line -----------------------------------------------------


def test_the_api_says_what_verify_proves_and_cannot(api, org, alice, events):
    body = api(alice).get("/orgs/acme/audit/verify").json()
    assert body["ok"] is True and body["kind"] == "" and body["checkpoint"] is None
    assert body["head_seq"] == body["checked"] == len(events)
    assert body["proves"] == ["chain_intact", "keyed"]
    assert body["cannot_prove"] == ["no_checkpoint", "key_holder"]
    assert body["unkeyed_events"] == 0
    write_checkpoints(reason="command")
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    set_head(org, events[-2])
    body = api(alice).get("/orgs/acme/audit/verify").json()
    assert body["ok"] is False and body["kind"] == "rewound"
    assert body["checkpoint"]["seq"] == events[-1].seq
    assert body["checkpoint"]["hash"] == events[-1].hash


def test_the_page_says_what_verify_proves_and_cannot(client, alice, org, events):
    client.force_login(alice)
    html = client.get("/o/acme/audit/verify/").content.decode()
    assert 'id="verify-ok"' in html and 'id="verify-limits"' in html
    assert "没有已签名的检查点" in html  # no checkpoint yet (zh-hans, the default)
    write_checkpoints(reason="command")
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    set_head(org, events[-2])
    html = client.get("/o/acme/audit/verify/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="verify-broken"' in html


def test_the_command_verifies_against_checkpoints_and_writes_them(
    org, events, checkpoint_file, capsys
):
    assert linkstar(["audit", "verify", "--org", "acme"]) == 0
    out = capsys.readouterr().out
    assert "acme: ok, " in out and "cannot prove: no signed checkpoint yet" in out
    assert "checkpoints written: 1" in out
    assert [line["reason"] for line in lines(checkpoint_file)] == ["verify"]
    raw_sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    set_head(org, events[-2])
    assert linkstar(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "acme: BROKEN — the chain ends at #" in out
    assert len(lines(checkpoint_file)) == 1  # a broken chain is never checkpointed
    assert linkstar(["audit", "checkpoint"]) == 1
    assert "acme: NOT checkpointed" in capsys.readouterr().out
