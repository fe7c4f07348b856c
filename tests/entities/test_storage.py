"""At rest: the database holds ciphertext for every sensitive field, never a plain value, and no
trace at all of a full card number. Read through raw SQL, as a stolen backup would be."""

from __future__ import annotations

from django.apps import apps
from django.db import connection

from linkstar.core.crypto import PREFIX, EncryptedTextField, encrypted_fields
from linkstar.entities.models import (
    CollectionAccount,
    EntityCard,
    EntityPerson,
    SellerEntity,
    StoreCredential,
)
from tests.support.vault import (
    ACCOUNT_NUMBER,
    API_KEY,
    CARD_NUMBER,
    LEGAL_REP_ID,
    OWNER_ID,
    PASSPORT,
    PLAIN_VALUES,
    REGISTRATION_NUMBER,
    SECRET,
    assert_nowhere,
    audit_text,
    database_dump,
)


def raw(model, pk: int, column: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def test_every_sensitive_field_is_an_encrypted_field():
    found = {(m._meta.label, f.name) for m, fields in encrypted_fields() for f in fields}
    assert {
        ("entities.SellerEntity", "registration_number"),
        ("entities.SellerEntity", "legal_rep_id_number"),
        ("entities.EntityPerson", "id_number"),
        ("entities.CollectionAccount", "account_number"),
        ("entities.StoreCredential", "secret"),
    } <= found
    for model in (SellerEntity, EntityPerson, CollectionAccount, StoreCredential):
        for name in model.SENSITIVE_FIELDS:
            assert isinstance(model._meta.get_field(name), EncryptedTextField), (model, name)


def test_the_raw_row_of_each_sensitive_field_holds_ciphertext_only(vault):
    cases = [
        (SellerEntity, vault.entity.pk, "registration_number", REGISTRATION_NUMBER),
        (SellerEntity, vault.entity.pk, "legal_rep_id_number", LEGAL_REP_ID),
        (EntityPerson, vault.owner.pk, "id_number", OWNER_ID),
        (EntityPerson, vault.legal_rep.pk, "id_number", PASSPORT),
        (CollectionAccount, vault.account.pk, "account_number", ACCOUNT_NUMBER),
        (StoreCredential, vault.credential.pk, "secret", SECRET),
        (StoreCredential, vault.api_key.pk, "secret", API_KEY),
    ]
    for model, pk, column, plain in cases:
        stored = raw(model, pk, column)
        assert stored.startswith(PREFIX), (model, column)
        assert plain not in stored and plain[-6:] not in stored
        # and the application reads it back
        assert getattr(model.objects.get(pk=pk), column) == plain


def test_the_same_value_encrypts_differently_each_time(as_alice, vault):
    from linkstar.entities.services import create_person

    twin = create_person(
        actor=as_alice,
        entity=vault.entity,
        role="beneficial_owner",
        name="李四",
        id_number=OWNER_ID,
    )
    assert raw(EntityPerson, twin.pk, "id_number") != raw(EntityPerson, vault.owner.pk, "id_number")


def test_a_full_card_number_is_nowhere_in_the_database(vault, as_alice):
    from linkstar.entities.services import update_card

    update_card(actor=as_alice, card=vault.card, card_number="5555 5555 5555 4444")
    dump = database_dump()
    for number in (CARD_NUMBER, "5555555555554444", "4111 1111 1111 1111", "5555 5555 5555 4444"):
        assert number not in dump
        assert number not in dump.replace(" ", "").replace("-", "")
    card = EntityCard.objects.get(pk=vault.card.pk)
    assert card.last4 == "4444" and len(card.fingerprint) == 64


def test_no_plain_value_anywhere_in_the_database_or_the_audit_log(vault):
    assert_nowhere(database_dump(), *PLAIN_VALUES)
    assert_nowhere(audit_text(), *PLAIN_VALUES)


def test_every_encrypted_column_of_every_model_holds_ciphertext(vault):
    """Whatever other apps add: every non-empty value of every EncryptedTextField is prefixed."""
    with connection.cursor() as cursor:
        for model, fields in encrypted_fields():
            for field in fields:
                table = connection.ops.quote_name(model._meta.db_table)
                column = connection.ops.quote_name(field.column)
                cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")
                for (value,) in cursor.fetchall():
                    assert value.startswith(PREFIX), (model, field.name)


def test_the_data_migration_encrypts_plain_values_and_indexes_them(entity):
    """Values written in plain before the vault existed are encrypted by 0004, and their
    association-risk identifiers written."""
    from importlib import import_module

    from linkstar.entities.models import Identifier

    migration = import_module(
        "linkstar.entities.migrations.0004_encrypt_existing_values_and_index_identifiers"
    )
    table = connection.ops.quote_name(SellerEntity._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET registration_number = %s, legal_rep_id_number = %s WHERE id = %s",
            [REGISTRATION_NUMBER, LEGAL_REP_ID, entity.pk],
        )
    Identifier.objects.filter(entity=entity).delete()
    assert raw(SellerEntity, entity.pk, "legal_rep_id_number") == LEGAL_REP_ID

    migration.encrypt_and_index(apps, None)

    for column, plain in (
        ("registration_number", REGISTRATION_NUMBER),
        ("legal_rep_id_number", LEGAL_REP_ID),
    ):
        stored = raw(SellerEntity, entity.pk, column)
        assert stored.startswith(PREFIX) and plain not in stored
    entity.refresh_from_db()
    assert (entity.registration_number, entity.legal_rep_id_number) == (
        REGISTRATION_NUMBER,
        LEGAL_REP_ID,
    )
    kinds = set(Identifier.objects.filter(entity=entity).values_list("kind", flat=True))
    assert kinds == {"registration_number", "legal_rep_id"}
