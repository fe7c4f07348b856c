"""Encrypt the registration and ID numbers stored in plain before 0003, and write the
association-risk identifiers of the entities that exist already."""

from django.db import migrations

from linkstar.core.crypto import blind_index, decrypt
from linkstar.core.masking import mask

SENSITIVE = ("registration_number", "legal_rep_id_number")
IDENTIFIERS = (("registration_number", "registration_number"), ("legal_rep_id", "legal_rep_id_number"))


def encrypt_and_index(apps, schema_editor):
    SellerEntity = apps.get_model("entities", "SellerEntity")
    Identifier = apps.get_model("entities", "Identifier")
    rows = SellerEntity.objects.values_list("pk", "organization_id", *SENSITIVE)
    for pk, org_id, registration_number, legal_rep_id_number in rows.iterator():
        # The field reads a plain value as is and encrypts it on the way back in.
        SellerEntity.objects.filter(pk=pk).update(
            registration_number=registration_number, legal_rep_id_number=legal_rep_id_number
        )
        values = {"registration_number": registration_number, "legal_rep_id_number": legal_rep_id_number}
        for kind, field in IDENTIFIERS:
            value = (values[field] or "").strip()
            digest = blind_index(value, kind="text")
            if digest:
                Identifier.objects.update_or_create(
                    entity_id=pk,
                    source=f"entity:{pk}:{field}",
                    kind=kind,
                    defaults={"organization_id": org_id, "digest": digest, "masked": mask(value)},
                )


def decrypt_back(apps, schema_editor):
    SellerEntity = apps.get_model("entities", "SellerEntity")
    Identifier = apps.get_model("entities", "Identifier")
    Identifier.objects.filter(source__startswith="entity:").delete()
    table = schema_editor.quote_name(SellerEntity._meta.db_table)
    columns = ", ".join(schema_editor.quote_name(c) for c in SENSITIVE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {table}")
        rows = cursor.fetchall()
        for pk, *stored in rows:
            plain = [(decrypt(v) or "")[:64] for v in stored]
            cursor.execute(
                f"UPDATE {table} SET {schema_editor.quote_name(SENSITIVE[0])} = %s, "
                f"{schema_editor.quote_name(SENSITIVE[1])} = %s WHERE id = %s",
                [*plain, pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("entities", "0003_vault_records_and_encrypted_fields"),
    ]

    operations = [migrations.RunPython(encrypt_and_index, decrypt_back)]
