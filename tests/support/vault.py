"""The entity vault's sensitive test values, a vault filled with them, and the checks that they
show nowhere in plain text."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from linkstar.audit.models import AuditEvent
from linkstar.entities import services
from linkstar.entities.models import StoreCredential

# The `entity` fixture's sensitive values (tests/conftest.py).
REGISTRATION_NUMBER = "91440300MA5G8ABCD1"


LEGAL_REP_ID = "440301198805121234"


OWNER_ID = "110101199003074514"


PASSPORT = "E12345678"


ACCOUNT_NUMBER = "6222021001123456789"


CARD_NUMBER = "4111111111111111"


CARD_NUMBER_SPACED = "4111 1111 1111 1111"


SECOND_CARD = "5555555555554444"


SECRET = "Xinghe#Seller!2026"


API_KEY = "amzn1.sp.key.7f3c9e2a41b84d0c"


PLAIN_VALUES = (
    REGISTRATION_NUMBER,
    LEGAL_REP_ID,
    OWNER_ID,
    PASSPORT,
    ACCOUNT_NUMBER,
    CARD_NUMBER,
    SECOND_CARD,
    SECRET,
    API_KEY,
)


@dataclass
class Vault:
    entity: object
    owner: object
    legal_rep: object
    email: object
    phone: object
    account: object
    card: object
    address: object
    credential: object
    api_key: object


def make_vault(as_alice, as_bob, entity, project) -> Vault:
    owner = services.create_person(
        actor=as_alice,
        entity=entity,
        role="beneficial_owner",
        name="王芳",
        name_pinyin="Wang Fang",
        id_number=OWNER_ID,
        nationality="CN",
        id_expiry=dt.date(2031, 5, 1),
        ownership_percent="60",
    )
    legal_rep = services.create_person(
        actor=as_alice,
        entity=entity,
        role="legal_rep",
        name="张伟",
        id_type="passport",
        id_number=PASSPORT,
        nationality="HK",
    )
    email = services.create_contact(
        actor=as_alice, entity=entity, kind="email", value="Store@Xinghe.example", label="seller"
    )
    phone = services.create_contact(
        actor=as_alice, entity=entity, kind="phone", value="+86 138-0013-8000"
    )
    account = services.create_account(
        actor=as_alice,
        entity=entity,
        provider="payoneer",
        account_holder="Shenzhen Xinghe",
        account_number=ACCOUNT_NUMBER,
        currency="usd",
    )
    card = services.create_card(
        actor=as_alice,
        entity=entity,
        card_number=CARD_NUMBER_SPACED,
        holder="ZHANG WEI",
        expiry_month=7,
        expiry_year=2029,
    )
    address = services.create_address(
        actor=as_alice, entity=entity, kind="warehouse", text="深圳市宝安区福永街道 88 号"
    )
    credential = services.create_credential(
        actor=as_bob,
        project=project,
        kind="platform_login",
        label="Seller Central",
        login="store@xinghe.example",
        secret=SECRET,
    )
    api_key = services.create_credential(
        actor=as_bob, project=project, kind="api_key", label="ERP (店小秘)", secret=API_KEY
    )
    return Vault(
        entity, owner, legal_rep, email, phone, account, card, address, credential, api_key
    )


def audit_text() -> str:
    """Every audit event of every organization, as text."""
    return json.dumps(
        [
            [e.changes, e.object_repr, e.actor_label, e.action]
            for e in AuditEvent.objects.order_by("pk")
        ],
        ensure_ascii=False,
    )


def assert_nowhere(text: str, *values: str) -> None:
    for value in values or PLAIN_VALUES:
        assert value not in text, f"plain value {value!r} found"
        compact = value.replace(" ", "")
        assert compact not in text.replace(" ", ""), f"plain value {value!r} found"


def database_dump() -> str:
    """Every row of every table of the database, as text (what a stolen backup holds)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                chunks.append(" | ".join("" if v is None else str(v) for v in row))
    return "\n".join(chunks)


def credentials_of(project) -> list:
    return list(StoreCredential.objects.filter(project=project).order_by("pk"))
