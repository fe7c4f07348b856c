"""The leak test (issue 17, "checks that stay"): distinctive sensitive values go in through every
input that takes one — entity, person, collection account, card, credential, chat channel,
platform mailbox, member password, API token, imported sheet — then the database, the logs,
every exported or archived file, the backup and every GET answer of the API, for each role,
are searched for them. A plain value anywhere but the one answer that reveals it on purpose
fails the test."""

from __future__ import annotations

import io
import logging
import re
import tarfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from linkstar.backups.services import create_backup
from linkstar.playbooks.models import Template
from tests.support.clients import ApiClient
from tests.support.jobs import run_jobs

pytestmark = pytest.mark.django_db(transaction=True)

# Values no fixture, catalog row or translation could hold by chance.
REGISTRATION = "91440300LEAKQ7X9Z1"
LEGAL_REP_ID = "44030119900307912X"
PERSON_ID = "E77LEAK5520"
ACCOUNT = "6222LEAK0099887766"
CARD = "4111111111111111"
CREDENTIAL = "Cred-Leak-Secret-7Q"
CHANNEL_KEY = "chankeyLEAK8842"
CHANNEL_SECRET = "SECLEAKsign5531"
MAIL_PASSWORD = "Mailbox-Leak-Pass-6"
MEMBER_PASSWORD = "Quartz-Leak-Lantern-58"
IMPORTED_REGISTRATION = "91440300IMPQ7X9LK2"
IMPORTED_ID = "44030119850101777X"

# The answers that show a value on purpose: the reveal (audited), and a token shown once.
REVEALING = re.compile(r"/reveal$")


def _texts_of(blob: bytes) -> str:
    """A file as text, the members of a zip (.xlsx, archives) unpacked."""
    if blob[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return "\n".join(
                _texts_of(archive.read(name))
                for name in archive.namelist()
                if not name.endswith("/")
            )
    return blob.decode("utf-8", errors="replace")


def _database_text() -> str:
    """Every value of every table, as the database holds it."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def _backup_text(tmp_path) -> str:
    result = create_backup(to=tmp_path / "backups", include_keys=False)
    parts = []
    with tarfile.open(result.path, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                parts.append(_texts_of(tar.extractfile(member).read()))
    return "\n".join(parts)


class Inputs:
    """Every sensitive value put in the way a program or a person would."""

    def __init__(self, org, alice, bob) -> None:
        self.org = org.slug
        admin, manager = ApiClient(alice), ApiClient(bob)

        def made(response):
            assert response.status_code in (200, 201, 202), response.content
            return response.json()

        o = f"/orgs/{self.org}"
        entity = made(
            admin.post(
                f"{o}/entities",
                {
                    "name": "深圳市泄漏测试贸易有限公司",
                    "registration_number": REGISTRATION,
                    "legal_rep_name": "测试",
                    "legal_rep_id_number": LEGAL_REP_ID,
                    "country": "CN",
                },
            )
        )
        self.ids = {"entities": entity["id"]}
        e = f"{o}/entities/{entity['id']}"
        self.ids["people"] = made(
            admin.post(
                f"{e}/people",
                {
                    "role": "beneficial_owner",
                    "name": "测试",
                    "id_type": "passport",
                    "id_number": PERSON_ID,
                },
            )
        )["id"]
        self.ids["accounts"] = made(
            admin.post(
                f"{e}/accounts",
                {"provider": "bank", "account_holder": "测试", "account_number": ACCOUNT},
            )
        )["id"]
        self.ids["cards"] = made(
            admin.post(
                f"{e}/cards",
                {"card_number": CARD, "holder": "CE SHI", "expiry_month": 12, "expiry_year": 2099},
            )
        )["id"]
        template = Template.objects.get(organization__isnull=True, key="amazon-na")
        project = made(
            manager.post(
                f"{o}/projects",
                {
                    "template_id": template.pk,
                    "store_name": "Leak Test US",
                    "entity_id": entity["id"],
                },
            )
        )
        self.ids["projects"] = project["id"]
        self.ids["credentials"] = made(
            manager.post(
                f"{o}/projects/{project['id']}/credentials",
                {"kind": "platform_login", "label": "Seller Central", "secret": CREDENTIAL},
            )
        )["id"]
        self.ids["channels"] = made(
            admin.post(
                f"{o}/channels",
                {
                    "kind": "webhook",
                    "name": "ERP",
                    "url": f"https://hooks.example.com/linkstar?key={CHANNEL_KEY}",
                    "secret": CHANNEL_SECRET,
                },
            )
        )["id"]
        self.ids["mail-accounts"] = made(
            admin.post(
                f"{o}/mail-accounts",
                {
                    "name": "平台邮箱",
                    "host": "imap.example.com",
                    "username": "ops",
                    "password": MAIL_PASSWORD,
                },
            )
        )["id"]
        client = made(
            admin.post(
                f"{o}/members",
                {
                    "email": "leak-client@example.com",
                    "role": "client",
                    "password": MEMBER_PASSWORD,
                    "entity_id": entity["id"],
                },
            )
        )
        self.ids["members"] = client.get("user_id") or client.get("id")
        token = made(
            ApiClient().post(
                "/auth/token", {"email": "leak-client@example.com", "password": MEMBER_PASSWORD}
            )
        )
        self.client_token = token["token"]
        self.read_token = made(ApiClient(bob).post("/me/tokens", {"name": "BI", "scope": "read"}))[
            "token"
        ]
        sheet = (
            "主体名称,统一社会信用代码,法人,法人身份证号\r\n"
            f"深圳市导入测试有限公司,{IMPORTED_REGISTRATION},王五,{IMPORTED_ID}\r\n"
        ).encode()
        self.ids["imports"] = self._import(manager, o, sheet)

    @staticmethod
    def _import(manager: ApiClient, o: str, sheet: bytes) -> int:
        upload = manager.client.post(
            f"/api/v1{o}/imports",
            {"kind": "entities", "file": SimpleUploadedFile("主体.csv", sheet)},
            HTTP_AUTHORIZATION=f"Bearer {manager.token}",
        )
        assert upload.status_code == 201, upload.content
        job = upload.json()["id"]
        started = manager.post(f"{o}/imports/{job}/run")
        assert started.status_code == 202, started.content
        run_jobs()
        return job

    @property
    def secrets(self) -> dict[str, str]:
        return {
            "registration number": REGISTRATION,
            "legal representative's ID": LEGAL_REP_ID,
            "person's ID": PERSON_ID,
            "account number": ACCOUNT,
            "card number": CARD,
            "credential": CREDENTIAL,
            "channel key": CHANNEL_KEY,
            "channel secret": CHANNEL_SECRET,
            "mailbox password": MAIL_PASSWORD,
            "member password": MEMBER_PASSWORD,
            "client's API token": self.client_token,
            "read-only API token": self.read_token,
            "imported registration number": IMPORTED_REGISTRATION,
            "imported ID": IMPORTED_ID,
        }


def _found(text: str, secrets: dict[str, str]) -> list[str]:
    return [label for label, value in secrets.items() if value in text]


def _path_with_ids(path: str, ids: dict, org: str) -> str | None:
    """An OpenAPI path with its parameters filled from the objects made, or None."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment == "{org}":
            segments[i] = org
        elif segment.startswith("{"):
            owner = segments[i - 1] if i else ""
            if owner not in ids:
                return None
            segments[i] = str(ids[owner])
    return "/".join(segments)


def test_no_sensitive_value_is_stored_logged_exported_archived_backed_up_or_answered(
    org, alice, bob, carol, caplog, tmp_path
):
    for name in ("linkstar", "django", "django_tasks"):  # all of ours; others above WARNING
        caplog.set_level(logging.DEBUG, logger=name)
    made = Inputs(org, alice, bob)
    secrets = made.secrets
    leaks: dict[str, list[str]] = {}

    leaks["database"] = _found(_database_text(), secrets)
    leaks["logs"] = _found(caplog.text, secrets)

    archive = ApiClient(bob).post(
        f"/orgs/{org.slug}/archives", {"project_ids": [made.ids["projects"]]}
    )
    assert archive.status_code == 202, archive.content
    made.ids["archives"] = archive.json()["id"]
    run_jobs()

    schema = ApiClient(alice).get("/openapi.json").json()
    callers = {
        "admin": ApiClient(alice),
        "manager": ApiClient(bob),
        "operator": ApiClient(carol),
        "client": ApiClient(token=made.client_token),
        "read-only token": ApiClient(token=made.read_token),
    }
    answered = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations or REVEALING.search(path):
            continue
        filled = _path_with_ids(path.removeprefix("/api/v1"), made.ids, org.slug)
        if filled is None:
            continue
        for role, caller in callers.items():
            response = caller.get(filled)
            assert response.status_code < 500, (role, filled, response.status_code)
            answered += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            for label in _found(_texts_of(body), secrets):
                leaks.setdefault(f"GET {filled} as {role}", []).append(label)
    assert answered > 200  # every readable endpoint, for every role
    print(f"\nleak test: {len(secrets)} values, {answered} GET answers searched")

    if connection.vendor == "sqlite":
        leaks["backup"] = _found(_backup_text(tmp_path), secrets)

    assert {where: found for where, found in leaks.items() if found} == {}
