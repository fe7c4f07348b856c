"""Issue 17 §10: the business rules' lengths, ranges and enums are in the OpenAPI document, so
that a client generated from it sends only what the server accepts."""

from __future__ import annotations

import pytest

from linkstar.accounts.models import ApiToken, Membership
from linkstar.api.main import api
from linkstar.delivery.models import Channel
from linkstar.entities.models import (
    CollectionAccount,
    EntityAddress,
    EntityCard,
    EntityContact,
    EntityPerson,
    SellerEntity,
    StoreCredential,
)
from linkstar.platformmail.models import MailAccount
from linkstar.playbooks.models import TaskBlueprint, Template
from linkstar.projects.models import StoreProject, Task
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient

# The request bodies whose text properties are columns of a model: every property named like a
# CharField of the model must carry that field's max_length (and its choices as an enum).
BODY_MODELS = {
    "EntityIn": SellerEntity,
    "EntityPatch": SellerEntity,
    "PersonIn": EntityPerson,
    "PersonPatch": EntityPerson,
    "ContactIn": EntityContact,
    "ContactPatch": EntityContact,
    "AccountIn": CollectionAccount,
    "AccountPatch": CollectionAccount,
    "CardIn": EntityCard,
    "CardPatch": EntityCard,
    "AddressIn": EntityAddress,
    "AddressPatch": EntityAddress,
    "CredentialIn": StoreCredential,
    "CredentialPatch": StoreCredential,
    "ProjectIn": StoreProject,
    "ProjectPatch": StoreProject,
    "BatchRow": StoreProject,
    "StageIn": StoreProject,
    "TaskPatch": Task,
    "BlueprintIn": TaskBlueprint,
    "TemplateIn": Template,
    "MemberIn": Membership,
    "MemberPatch": Membership,
    "ApiTokenIn": ApiToken,
    "ChannelIn": Channel,
    "ChannelPatch": Channel,
    "MailAccountIn": MailAccount,
    "MailAccountPatch": MailAccount,
}
# Fields whose values are a closed list: (schema, property) → the accepted values.
KNOWN_ENUMS = {
    ("StageIn", "stage"): {v for v, _label in StoreProject._meta.get_field("stage").choices},
    ("TaskPatch", "status"): None,
    ("MemberIn", "role"): None,
    ("MemberPatch", "role"): None,
    ("OrgApiTokenIn", "role"): None,
    ("ApiTokenIn", "scope"): None,
    ("PersonIn", "role"): None,
    ("PersonIn", "id_type"): None,
    ("ContactIn", "kind"): None,
    ("AccountIn", "provider"): None,
    ("AddressIn", "kind"): None,
    ("CredentialIn", "kind"): None,
    ("ChannelIn", "kind"): None,
    ("MailAccountIn", "security"): None,
    ("BlueprintIn", "phase"): None,
    ("DecideIn", "decision"): None,
    ("ReviewIn", "decision"): None,
    ("ReopenIn", "dependants"): None,
}
# Numbers with a range: (schema, property) → (minimum, maximum); None: no bound that side.
KNOWN_RANGES = {
    ("PersonIn", "ownership_percent"): (0, 100),
    ("PersonPatch", "ownership_percent"): (0, 100),
    ("CardIn", "expiry_month"): (1, 12),
    ("CardPatch", "expiry_month"): (1, 12),
    ("BlueprintIn", "offset_days"): (0, None),
    ("BlueprintIn", "duration_days"): (0, None),
    ("LinkIn", "days"): (1, 60),
}


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def _string_part(prop: dict) -> dict:
    """The rules of a property: its own, and those of its branch that is not null (``{"anyOf":
    [{"type": "string"}, {"type": "null"}], "maxLength": 200}``)."""
    for part in prop.get("anyOf", [prop]):
        if part.get("type") in ("string", "integer", "number"):
            return {**part, **prop}
    return prop


def _request_schemas(document) -> set[str]:
    """The components reached from a request body, directly or through other components."""
    comps = document["components"]["schemas"]
    todo = [
        media["schema"]
        for ops in document["paths"].values()
        for op in ops.values()
        for media in op.get("requestBody", {}).get("content", {}).values()
    ]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    todo.append(comps[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return seen


def test_every_text_mapped_to_a_model_column_has_its_max_length(document):
    comps = document["components"]["schemas"]
    used = _request_schemas(document)
    assert set(BODY_MODELS) <= used, set(BODY_MODELS) - used
    missing = []
    for name, model in BODY_MODELS.items():
        for prop_name, prop in comps[name]["properties"].items():
            try:
                field = model._meta.get_field(prop_name)
            except Exception:
                continue
            if getattr(field, "max_length", None) is None or field.get_internal_type() not in (
                "CharField",
                "SlugField",
                "EmailField",
            ):
                continue
            part = _string_part(prop)
            if part.get("maxLength") != field.max_length:
                missing.append(f"{name}.{prop_name}: {part.get('maxLength')} != {field.max_length}")
            if field.choices:
                choices = {value for value, _label in field.flatchoices}
                if not set(prop.get("enum", [])) - {None} <= choices or not prop.get("enum"):
                    missing.append(f"{name}.{prop_name}: enum {prop.get('enum')} not {choices}")
    assert not missing, "\n".join(missing)


def test_known_closed_lists_are_enums(document):
    comps = document["components"]["schemas"]
    for (name, prop_name), values in KNOWN_ENUMS.items():
        prop = comps[name]["properties"][prop_name]
        enum = prop.get("enum") or _string_part(prop).get("enum")
        assert enum, f"{name}.{prop_name} is not an enum"
        if values is not None:
            assert {v for v in enum if v is not None} == values


def test_known_ranges_are_minimum_and_maximum(document):
    comps = document["components"]["schemas"]
    for (name, prop_name), (low, high) in KNOWN_RANGES.items():
        part = _string_part(comps[name]["properties"][prop_name])
        assert part.get("minimum") == low, (name, prop_name, part)
        assert part.get("maximum") == high, (name, prop_name, part)


def test_a_text_over_the_documented_length_is_a_422_naming_it(alice, org, entity):
    client = ApiClient(alice)
    body = assert_error(client.post("/orgs/acme/entities", {"name": "x" * 201}), 422, "invalid")
    assert body["errors"][0]["field"] == "name"
    assert client.post("/orgs/acme/entities", {"name": "x" * 200}).status_code == 201
    answer = client.patch(f"/orgs/acme/entities/{entity.pk}", {"country": "ABCDEFGHI"})
    assert assert_error(answer, 422, "invalid")["errors"][0]["field"] == "country"


CHANNEL = {
    "kind": "dingtalk",
    "name": "开店群",
    "url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
    "secret": "SEC000111",
}
MAIL_ACCOUNT = {
    "name": "Second",
    "host": "imap.example.org",
    "username": "u@x.org",
    "password": "p",
}


@pytest.mark.parametrize(
    ("who", "path", "body", "field", "limit"),
    [
        ("alice", "/orgs/acme/channels", CHANNEL, "name", 100),
        ("alice", "/orgs/acme/mail-accounts", MAIL_ACCOUNT, "name", 100),
        ("alice", "/orgs/acme/mail-accounts", MAIL_ACCOUNT, "host", 255),
        ("alice", "/orgs/acme/mail-accounts", MAIL_ACCOUNT, "username", 255),
        ("alice", "/orgs/acme/mail-accounts", {**MAIL_ACCOUNT, "folder": "f"}, "folder", 255),
        ("bob", "/me/tokens", {"name": "ERP"}, "name", 100),
        ("bob", "/orgs/acme/projects/{project}/credentials", {"kind": "api_key", "label": "E",
                                                               "secret": "k-1"}, "label", 100),
        ("bob", "/orgs/acme/projects/{project}/credentials", {"kind": "api_key", "label": "E",
                                                               "login": "l", "secret": "k-1"},
         "login", 254),
        ("bob", "/orgs/acme/entities/{entity}/contacts", {"kind": "phone", "value": "1",
                                                          "label": "l"}, "label", 100),
        ("bob", "/orgs/acme/entities/{entity}/addresses", {"kind": "business", "text": "t"},
         "text", 500),
        ("bob", "/orgs/acme/entities/{entity}/people", {"role": "legal_rep", "name": "n"},
         "name", 100),
    ],
)  # fmt: skip
def test_a_documented_length_is_the_servers(world, who, path, body, field, limit):
    """One past each documented maxLength is refused with 422 on the field (the service's own
    check), never stored longer (SQLite) nor a database error (PostgreSQL)."""
    client = ApiClient(world.users[who])
    url = path.format(project=world.project.pk, entity=world.entity.pk)
    answer = client.post(url, {**body, field: "x" * (limit + 1)})
    assert field in {e["field"] for e in assert_error(answer, 422)["errors"]}
