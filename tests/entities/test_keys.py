"""Key rotation: ``linkstar keys rotate`` puts a new Fernet key first and re-encrypts every
``EncryptedTextField`` value of every model; every value stays readable, every stored ciphertext
changes, and once re-encrypted the values decrypt with the new key alone."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from linkstar import cli
from linkstar.core import crypto
from linkstar.entities.models import CollectionAccount, EntityPerson, SellerEntity, StoreCredential
from tests.support.vault import (
    ACCOUNT_NUMBER,
    API_KEY,
    LEGAL_REP_ID,
    OWNER_ID,
    PASSPORT,
    REGISTRATION_NUMBER,
    SECRET,
)

PLAIN = {
    (SellerEntity, "registration_number"): {REGISTRATION_NUMBER},
    (SellerEntity, "legal_rep_id_number"): {LEGAL_REP_ID},
    (EntityPerson, "id_number"): {OWNER_ID, PASSPORT},
    (CollectionAccount, "account_number"): {ACCOUNT_NUMBER},
    (StoreCredential, "secret"): {SECRET, API_KEY},
}


@pytest.fixture
def keyring(settings, tmp_path):
    """The test's current key in a key file of its own (never the data directory's)."""
    key_file = tmp_path / "keys" / "encryption"
    key_file.parent.mkdir()
    key_file.write_text("\n".join(settings.LINKSTAR_ENCRYPTION_KEYS) + "\n")
    settings.LINKSTAR_ENCRYPTION_KEY_FILE = str(key_file)
    settings.LINKSTAR_ENCRYPTION_KEYS = list(settings.LINKSTAR_ENCRYPTION_KEYS)
    crypto.reset_keys()
    yield key_file
    crypto.reset_keys()


def stored() -> dict[tuple[str, str, int], str]:
    """Every encrypted column's raw value, by (table, column, pk)."""
    values = {}
    with connection.cursor() as cursor:
        for model, fields in crypto.encrypted_fields():
            for field in fields:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"SELECT id, {connection.ops.quote_name(field.column)} FROM {table}")
                for pk, value in cursor.fetchall():
                    if value:
                        values[(model._meta.db_table, field.column, pk)] = value
    return values


def readable() -> dict[tuple, set[str]]:
    return {
        (model, field): set(model.objects.exclude(**{field: ""}).values_list(field, flat=True))
        for model, field in PLAIN
    }


def test_rotation_reencrypts_every_value_and_keeps_it_readable(vault, keyring, settings, capsys):
    old_key = settings.LINKSTAR_ENCRYPTION_KEYS[0]
    before = stored()
    assert len(before) >= 7

    assert cli.main(["keys", "rotate", "--batch-size", "2"]) == 0

    out = capsys.readouterr().out
    assert "entities.EntityPerson: 2 values in 2 rows re-encrypted" in out
    assert "entities.StoreCredential: 2 values in 2 rows re-encrypted" in out
    keys = crypto.read_key_file(keyring)
    assert len(keys) == 2 and keys[1] == old_key and keys[0] != old_key
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    after = stored()
    assert after.keys() == before.keys()
    for where, value in after.items():
        assert value.startswith(crypto.PREFIX) and value != before[where], where
    assert readable() == PLAIN

    # with only the new key configured, every value still decrypts
    settings.LINKSTAR_ENCRYPTION_KEYS = [keys[0]]
    settings.LINKSTAR_ENCRYPTION_KEY_FILE = ""
    crypto.reset_keys()
    assert readable() == PLAIN
    # and the old key alone no longer does: everything moved
    settings.LINKSTAR_ENCRYPTION_KEYS = [old_key]
    crypto.reset_keys()
    with pytest.raises(RuntimeError):
        EntityPerson.objects.get(pk=vault.owner.pk)


def test_new_writes_after_rotation_use_the_new_key(vault, keyring, settings, as_alice):
    from linkstar.entities.services import update_account

    cli.main(["keys", "rotate"])
    new_key = crypto.read_key_file(keyring)[0]
    update_account(actor=as_alice, account=vault.account, account_number="6222021001999999")
    settings.LINKSTAR_ENCRYPTION_KEYS = [new_key]
    settings.LINKSTAR_ENCRYPTION_KEY_FILE = ""
    crypto.reset_keys()
    assert CollectionAccount.objects.get(pk=vault.account.pk).account_number == "6222021001999999"


def test_a_running_process_reads_values_rotated_by_another(vault, keyring, settings):
    """Another process rotated: this one still has the old keys cached, meets a value under the
    new key, re-reads the key file, and decrypts it."""
    new_key = crypto.generate_key()
    crypto.add_key_to_file(keyring, new_key)
    old_keys = list(settings.LINKSTAR_ENCRYPTION_KEYS)
    settings.LINKSTAR_ENCRYPTION_KEYS = [new_key, *old_keys]
    crypto.reset_keys()
    crypto.reencrypt_all()
    settings.LINKSTAR_ENCRYPTION_KEYS = old_keys  # this process's view: the old list
    crypto.reset_keys()
    assert readable() == PLAIN


def test_keys_from_the_environment_are_printed_not_changed(vault, settings, capsys):
    settings.LINKSTAR_ENCRYPTION_KEY_FILE = ""
    settings.LINKSTAR_ENCRYPTION_KEYS = list(settings.LINKSTAR_ENCRYPTION_KEYS)
    before = stored()
    try:
        assert cli.main(["keys", "rotate"]) == 0
        out = capsys.readouterr().out
        listed = out.strip().splitlines()[-1].split(",")
        assert len(listed) == 2 and listed[1] == settings.LINKSTAR_ENCRYPTION_KEYS[0]
        assert "--reencrypt" in out
        assert stored() == before  # nothing re-encrypted until the environment has the key

        settings.LINKSTAR_ENCRYPTION_KEYS = listed  # the operator configured it and restarted
        crypto.reset_keys()
        assert cli.main(["keys", "rotate", "--reencrypt"]) == 0
        after = stored()
        assert all(after[k] != v for k, v in before.items())
        settings.LINKSTAR_ENCRYPTION_KEYS = [listed[0]]
        crypto.reset_keys()
        assert readable() == PLAIN
    finally:
        crypto.reset_keys()


def test_a_plain_value_left_behind_is_encrypted_by_the_rotation(vault, keyring):
    table = connection.ops.quote_name(EntityPerson._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET id_number = %s WHERE id = %s", [OWNER_ID, vault.owner.pk]
        )
    report = crypto.reencrypt_all(batch_size=1)
    assert report["entities.EntityPerson"] == {"rows": 2, "values": 2}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {table} WHERE id = %s", [vault.owner.pk])
        assert cursor.fetchone()[0].startswith(crypto.PREFIX)
    assert EntityPerson.objects.get(pk=vault.owner.pk).id_number == OWNER_ID


# --- the console script, as an operator runs it -----------------------------------------------------

LINKSTAR = Path(sys.executable).with_name("linkstar")
MAKE_ENTITIES = (
    "from linkstar.accounts.models import Organization;"
    "from linkstar.core.actors import Actor;"
    "from linkstar.entities.services import create_entity;"
    "actor = Actor.system(Organization.objects.get(slug='rot'), via='cli');"
    "[create_entity(actor=actor, name=f'Seller {i}', registration_number=f'91440300MA5G8AB{i:03}',"
    " legal_rep_id_number=f'44030119880512{i:04}') for i in range(5)]"
)
READ_VALUES = (
    "from linkstar.entities.models import SellerEntity as E;"
    "print(sorted((e.pk, e.registration_number, e.legal_rep_id_number)"
    " for e in E.objects.all()))"
)


def run(data_dir: Path, *args: str, env: dict | None = None) -> str:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_URL_FILE", "LINKSTAR_ENCRYPTION_KEYS"}
    }
    environment.update(LINKSTAR_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="linkstar.settings")
    environment.update(env or {})
    result = subprocess.run(
        [str(LINKSTAR), *args], env=environment, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def raw_entities(data_dir: Path) -> list[tuple]:
    db = sqlite3.connect(data_dir / "linkstar.sqlite3")
    try:
        return db.execute(
            "SELECT id, registration_number, legal_rep_id_number FROM entities_sellerentity"
            " ORDER BY id"
        ).fetchall()
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.skipif(not LINKSTAR.exists(), reason="the linkstar script is not installed")
def test_the_console_script_rotates_the_key_file(tmp_path):
    data_dir = tmp_path / "data"
    run(data_dir, "init")
    run(data_dir, "user", "create", "--email", "owner@rot.test", "--password", "owner-password")
    run(data_dir, "org", "create", "--name", "Rot", "--slug", "rot", "--owner", "owner@rot.test")
    run(data_dir, "manage", "shell", "-c", MAKE_ENTITIES)
    plain = run(data_dir, "manage", "shell", "-c", READ_VALUES)
    before = raw_entities(data_dir)
    assert len(before) >= 3 and all(v.startswith("enc1:") for row in before for v in row[1:] if v)

    out = run(data_dir, "keys", "rotate", "--batch-size", "2")
    assert "entities.SellerEntity:" in out and "re-encrypted" in out
    keys = (data_dir / "keys" / "encryption").read_text().split()
    assert len(keys) == 2
    after = raw_entities(data_dir)
    assert [r[0] for r in after] == [r[0] for r in before]
    assert all(
        a != b
        for ra, rb in zip(after, before, strict=True)
        for a, b in zip(ra[1:], rb[1:], strict=True)
        if b
    )
    assert run(data_dir, "manage", "shell", "-c", READ_VALUES) == plain

    # the old key removed from the file: everything still reads
    (data_dir / "keys" / "encryption").write_text(keys[0] + "\n")
    assert run(data_dir, "manage", "shell", "-c", READ_VALUES) == plain

    # keys from the environment: the command prints the list to configure, changes nothing
    env = {"LINKSTAR_ENCRYPTION_KEYS": keys[0]}
    out = run(data_dir, "keys", "rotate", env=env)
    new_list = out.strip().splitlines()[-1]
    assert new_list.endswith("," + keys[0]) and raw_entities(data_dir) == after
    out = run(data_dir, "keys", "rotate", "--reencrypt", env={"LINKSTAR_ENCRYPTION_KEYS": new_list})
    assert "re-encrypted" in out and raw_entities(data_dir) != after
    only_new = {"LINKSTAR_ENCRYPTION_KEYS": new_list.split(",")[0]}
    assert run(data_dir, "manage", "shell", "-c", READ_VALUES, env=only_new) == plain
