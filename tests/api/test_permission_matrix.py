"""Every API endpoint, checked for who may call it (NetBox-style permission matrix).

The routes are read from the NinjaAPI object itself (its OpenAPI document and its URL patterns),
so an endpoint added without an entry in ``MATRIX`` fails ``test_every_route_has_a_matrix_entry``
and its own parametrised case. For each endpoint:

- no token, or a token that is not one → 401 ``unauthenticated``;
- mallory (admin of "evil") → 404 on ``/orgs/acme/...``, and 404 on ``/orgs/evil/...`` with acme's
  object ids; the answer names nothing of acme;
- grace (a client of another seller entity) → 404 on objects of projects that are not her entity's;
- each role listed in ``denied`` → 403;
- the role in ``ok`` succeeds with ``status``; a write leaves an audit event, a read changes nothing.

A refused request changes nothing (``fingerprint()`` of the whole database is compared).
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver

from linkstar.api.main import api as ninja_api
from linkstar.audit.models import AuditEvent
from tests.support.assertions import assert_error, fingerprint
from tests.support.clients import ApiClient
from tests.support.matrix import NO_ADMIN, NO_ADMIN_STAFF, NOT_MANAGERS, NOT_TEAM, Case, Multipart
from tests.support.seed import APPROVAL_MINI_TASKS, PASSWORD
from tests.support.world import World

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Text that belongs to acme only; none of it may reach mallory.
ACME_MARKERS = (
    "Xinghe",
    "星河",
    "Yunfan",
    "Mini SOP",
    "Draft SOP",
    "Mini Shop",
    "carol@example.com",
    "bob@example.com",
    "acme",
    "Acme",
)


def _draft_id(w: World) -> int:
    return w.draft_template.pk


def _upgradable_id(w: World) -> int:
    """A project of bob's on version 1 of acme's template, whose version 2 adds a task."""
    if not hasattr(w, "upgradable"):
        from linkstar.playbooks.services import (
            create_draft_version,
            publish_version,
            replace_draft_tasks,
        )

        project = w.mini_project("Upgradable Shop")
        alice = w.actor("alice")
        draft = create_draft_version(actor=alice, template=w.template)
        extra = {"key": "launch", "title": "Launch", "phase": "launch", "depends_on": ["submit"]}
        replace_draft_tasks(actor=alice, version=draft, tasks=[*APPROVAL_MINI_TASKS, extra])
        publish_version(actor=alice, version=draft)
        w.upgradable = project
    return w.upgradable.pk


# Seller entity records (entities app): a body to create one, one to change it.
RECORD_BODIES = {
    "people": (
        {"role": "beneficial_owner", "name": "王芳", "id_number": "110101199003074514"},
        {"name_pinyin": "Wang Fang"},
    ),
    "contacts": ({"kind": "email", "value": "store@seller.example"}, {"label": "seller"}),
    "accounts": (
        {"provider": "payoneer", "account_holder": "Seller", "account_number": "6222021001123456"},
        {"currency": "USD"},
    ),
    "cards": (
        {
            "card_number": "4111111111111111",
            "holder": "Z W",
            "expiry_month": 7,
            "expiry_year": 2029,
        },
        {"holder": "W F"},
    ),
    "addresses": ({"kind": "warehouse", "text": "深圳市宝安区福永街道"}, {"text": "深圳市南山区"}),
}
RECORD_TYPES = {
    "people": "person",
    "contacts": "contact",
    "accounts": "account",
    "cards": "card",
    "addresses": "address",
}


def _record_id(segment: str) -> Callable[[World], int]:
    """A record of acme's entity, made once per world (ids are filled in more than once)."""

    def make(w: World) -> int:
        from linkstar.entities.services import create_record

        key = f"_record_{segment}"
        if not hasattr(w, key):
            record = create_record(
                actor=w.actor("alice"),
                entity=w.entity,
                record_type=RECORD_TYPES[segment],
                **RECORD_BODIES[segment][0],
            )
            setattr(w, key, record.pk)
        return getattr(w, key)

    return make


def _credential_id(w: World) -> int:
    from linkstar.entities.services import create_credential

    if not hasattr(w, "_credential"):
        w._credential = create_credential(
            actor=w.actor("bob"),
            project=w.project,
            kind="platform_login",
            label="Seller Central",
            secret="a secret of the matrix",
        )
    return w._credential.pk


def _record_cases() -> dict[tuple[str, str], Case]:
    cases = {}
    for segment, (create, change) in RECORD_BODIES.items():
        base = "/orgs/{org}/entities/{entity_id}/" + segment
        writers = {"denied": ("carol", "dave", "frank"), "client_hidden": True}
        cases[("GET", base)] = Case(ok="carol", status=200, client_hidden=True)
        cases[("POST", base)] = Case(
            ok="bob", status=201, body=lambda w, b=create: dict(b), **writers
        )
        ids = {"item_id": _record_id(segment)}
        cases[("PATCH", base + "/{item_id}")] = Case(
            ok="bob", status=200, ids=ids, body=lambda w, b=change: dict(b), **writers
        )
        cases[("DELETE", base + "/{item_id}")] = Case(ok="bob", status=204, ids=ids, **writers)
    return cases


def _document(w: World):
    """A current business licence of acme's Xinghe entity, in the vault."""
    if not hasattr(w, "document"):
        from linkstar.documents.services import upload_document
        from tests.support.files import licence

        w.document = upload_document(
            actor=w.actor("alice"),
            entity=w.entity,
            document_type="business_license",
            file=licence(),
        )
    return w.document


def _attachment_id(w: World) -> int:
    from linkstar.documents.services import attach_document

    if not hasattr(w, "attachment"):
        w.attachment = attach_document(actor=w.actor("bob"), task=w.task, document=_document(w))
    return w.attachment.pk


def _upload_body(w: World) -> Multipart:
    from tests.support.files import licence

    return Multipart(document_type="business_license", file=licence)


def _submittable_project_id(w: World) -> int:
    """The project, with the documents and risk review the move to ``under_review`` needs."""
    from tests.support.gates import pass_gates

    pass_gates(w.project)
    return w.project.pk


def _risk_id(w: World) -> int:
    """An open association risk of bob's project with another project (found at its creation
    when the two are one entity's accounts on the same site, else an email they share)."""
    from linkstar.compliance.models import AssociationRisk

    if not hasattr(w, "_risk"):
        other = w.mini_project("Linked Shop")
        w._risk = AssociationRisk.objects.filter(
            project=w.project, other_project=other
        ).first() or AssociationRisk.objects.create(
            organization=w.org,
            project=w.project,
            other_project=other,
            kind="email",
            masked="st***@seller.example",
            digest="0" * 64,
        )
    return w._risk.pk


MATRIX: dict[tuple[str, str], Case] = {
    # --- auth and organizations
    ("POST", "/auth/token"): Case(
        ok=None,
        status=201,
        public=True,
        audited=False,
        body=lambda w: {"email": "alice@example.com", "password": PASSWORD},
    ),
    ("GET", "/me"): Case(ok="carol", status=200),
    ("GET", "/orgs"): Case(ok="carol", status=200),
    ("GET", "/orgs/{org}/members"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/members"): Case(
        ok="alice",
        status=201,
        denied=NO_ADMIN,
        body=lambda w: {
            "email": "newcomer@example.com",
            "role": "operator",
            "password": "a long password",
        },
    ),
    ("PATCH", "/orgs/{org}/members/{user_id}"): Case(
        ok="alice", status=200, denied=NO_ADMIN, body=lambda w: {"role": "reviewer"}
    ),
    ("DELETE", "/orgs/{org}/members/{user_id}"): Case(
        ok="alice", status=204, denied=NO_ADMIN, ids={"user_id": lambda w: w.users["erin"].pk}
    ),
    # --- catalog
    ("GET", "/platforms"): Case(ok="carol", status=200),
    ("GET", "/sites/{code}"): Case(ok="carol", status=200),
    ("GET", "/document-types"): Case(ok="carol", status=200),
    # --- seller entities
    ("GET", "/orgs/{org}/entities"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/entities"): Case(
        ok="bob",
        status=201,
        denied=NOT_MANAGERS,
        body=lambda w: {"name": "New Seller Ltd", "legal_rep_id_number": "110101199001011234"},
    ),
    ("GET", "/orgs/{org}/entities/{entity_id}"): Case(ok="carol", status=200, client_hidden=True),
    ("PATCH", "/orgs/{org}/entities/{entity_id}"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"notes": "checked", "version": w.entity.version},
    ),
    **_record_cases(),
    ("GET", "/orgs/{org}/projects/{project_id}/credentials"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/credentials"): Case(
        ok="bob",
        status=201,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"kind": "api_key", "label": "ERP", "secret": "k-123456"},
    ),
    ("PATCH", "/orgs/{org}/projects/{project_id}/credentials/{credential_id}"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"credential_id": _credential_id},
        body=lambda w: {"secret": "a rotated secret"},
    ),
    ("DELETE", "/orgs/{org}/projects/{project_id}/credentials/{credential_id}"): Case(
        ok="bob",
        status=204,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"credential_id": _credential_id},
    ),
    ("POST", "/orgs/{org}/reveal"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {
            "object_type": "entity",
            "object_id": w.entity.pk,
            "field": "legal_rep_id_number",
            "reason": "filling in the registration form",
        },
    ),
    # --- SOP templates
    ("GET", "/orgs/{org}/templates"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/templates"): Case(
        ok="alice",
        status=201,
        denied=NO_ADMIN,
        body=lambda w: {"name": "Acme EU", "site": "amazon-de"},
    ),
    # an organization template: a client sees the built-in ones only (issue 15 §1)
    ("GET", "/orgs/{org}/templates/{template_id}"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/templates/{template_id}/versions/{number}"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("PUT", "/orgs/{org}/templates/{template_id}/versions/{number}"): Case(
        ok="alice",
        status=200,
        denied=NO_ADMIN_STAFF,
        client_hidden=True,
        ids={"template_id": _draft_id},
        body=lambda w: {"tasks": APPROVAL_MINI_TASKS[:1]},
    ),
    ("POST", "/orgs/{org}/templates/{template_id}/versions/{number}/publish"): Case(
        ok="alice",
        status=200,
        denied=NO_ADMIN_STAFF,
        client_hidden=True,
        ids={"template_id": _draft_id},
    ),
    ("POST", "/orgs/{org}/templates/{template_id}/versions/{number}/retire"): Case(
        ok="alice", status=200, denied=NO_ADMIN_STAFF, client_hidden=True
    ),
    ("POST", "/orgs/{org}/templates/{template_id}/versions"): Case(
        ok="alice", status=201, denied=NO_ADMIN_STAFF, client_hidden=True
    ),
    # --- store projects
    ("GET", "/orgs/{org}/projects"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/projects"): Case(
        ok="bob",
        status=201,
        denied=NOT_MANAGERS,
        body=lambda w: {
            "template_id": w.amazon_na.pk,
            "store_name": "Xinghe Outdoor CA",
            "site": "amazon-ca",
            "entity_id": w.entity.pk,
            "start_date": "2026-11-09",
        },
    ),
    ("POST", "/orgs/{org}/projects/batch"): Case(
        ok="bob",
        status=201,
        denied=NOT_MANAGERS,
        body=lambda w: {
            "template_id": w.amazon_na.pk,
            "start_date": "2026-11-09",
            "members": [w.users["carol"].pk],
            "rows": [
                {"store_name": "Batch One", "entity_id": w.entity.pk},
                {"store_name": "Batch Two", "entity_id": w.entity.pk, "site": "amazon-mx"},
            ],
        },
    ),
    ("GET", "/orgs/{org}/projects/{project_id}"): Case(ok="carol", status=200, client_hidden=True),
    ("PATCH", "/orgs/{org}/projects/{project_id}"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"store_name": "Xinghe Home USA", "version": w.project.version},
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/stage"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": _submittable_project_id},
        body=lambda w: {"stage": "under_review", "note": "submitted"},
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/close"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": lambda w: w.closable_project.pk},
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/tasks"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/history"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/comments"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/comments"): Case(
        ok="carol",
        status=201,
        denied=NOT_TEAM,
        client_hidden=True,
        body=lambda w: {"body": "Licence uploaded, @bob please check"},
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/restore"): Case(
        ok="alice",
        status=200,
        denied=("bob", "carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": lambda w: w.cancelled_project.pk},
        body=lambda w: {"note": "the client changed their mind"},
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/upgrade"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": _upgradable_id},
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/upgrade"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"project_id": _upgradable_id},
        body=lambda w: {"version": 2},
    ),
    # --- tasks, comments, approvals
    ("GET", "/orgs/{org}/tasks"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/tasks/bulk"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        body=lambda w: {"action": "skip", "task_ids": [w.task.pk], "reason": "already done"},
    ),
    ("GET", "/orgs/{org}/tasks/{task_id}"): Case(ok="carol", status=200, client_hidden=True),
    ("PATCH", "/orgs/{org}/tasks/{task_id}"): Case(
        ok="carol",
        status=200,
        denied=NOT_TEAM,
        client_hidden=True,
        body=lambda w: {"status": "in_progress", "version": w.task.version},
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/skip"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"reason": "the seller already has one"},
    ),
    ("GET", "/orgs/{org}/tasks/{task_id}/reopen"): Case(
        ok="carol", status=200, client_hidden=True, ids={"task_id": lambda w: w.done_task.pk}
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/reopen"): Case(
        ok="bob",
        status=200,
        denied=("dave", "frank"),
        client_hidden=True,
        ids={"task_id": lambda w: w.done_task.pk},
        body=lambda w: {"reason": "the platform wants a landline", "dependants": "reset"},
    ),
    ("GET", "/orgs/{org}/tasks/{task_id}/reschedule"): Case(
        ok="carol",
        status=200,
        client_hidden=True,
        body=lambda w: {"due_date": (w.task.due_date + dt.timedelta(days=2)).isoformat()},
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/reschedule"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"due_date": (w.task.due_date + dt.timedelta(days=2)).isoformat()},
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/return"): Case(
        ok="dave",
        status=200,
        denied=("carol", "frank"),
        client_hidden=True,
        ids={"task_id": lambda w: w.done_task.pk},
        body=lambda w: {"reason": "the phone number has a typo"},
    ),
    ("GET", "/orgs/{org}/tasks/{task_id}/comments"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/comments"): Case(
        ok="carol",
        status=201,
        denied=NOT_TEAM,
        client_hidden=True,
        body=lambda w: {"body": "Scanned, see the archive"},
    ),
    ("GET", "/orgs/{org}/approvals"): Case(ok="carol", status=200),
    ("GET", "/orgs/{org}/approvals/{approval_id}"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/approvals/{approval_id}/withdraw"): Case(
        ok="carol",
        status=200,
        denied=("dave", "frank"),
        client_hidden=True,
        body=lambda w: {"reason": "asked too early"},
    ),
    ("POST", "/orgs/{org}/approvals/{approval_id}/decide"): Case(
        ok="dave",
        status=200,
        denied=("carol", "frank"),
        client_hidden=True,
        body=lambda w: {"decision": "approve", "comment": "complete"},
    ),
    # --- document vault
    ("GET", "/orgs/{org}/documents"): Case(ok="carol", status=200),
    ("GET", "/orgs/{org}/entities/{entity_id}/documents"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/entities/{entity_id}/documents"): Case(
        ok="carol", status=201, denied=NOT_TEAM, client_hidden=True, body=_upload_body
    ),
    ("GET", "/orgs/{org}/documents/{document_id}"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/documents/{document_id}/download"): Case(
        ok="carol", status=200, client_hidden=True, binary=True
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/documents"): Case(
        ok="carol", status=201, denied=NOT_TEAM, client_hidden=True, body=_upload_body
    ),
    ("GET", "/orgs/{org}/tasks/{task_id}/attachments"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/tasks/{task_id}/attachments"): Case(
        ok="carol",
        status=201,
        denied=NOT_TEAM,
        client_hidden=True,
        body=lambda w: {"document_id": _document(w).pk},
    ),
    ("DELETE", "/orgs/{org}/tasks/{task_id}/attachments/{attachment_id}"): Case(
        ok="carol",
        status=204,
        denied=NOT_TEAM,
        client_hidden=True,
        ids={"attachment_id": _attachment_id},
    ),
    # --- compliance: readiness and association risks
    ("GET", "/orgs/{org}/projects/{project_id}/readiness"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/projects/{project_id}/readiness/override"): Case(
        ok="bob",
        status=201,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"reason": "the licence renewal is at the bureau; the platform accepts it"},
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/risks"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/risks"): Case(ok="carol", status=200),
    ("POST", "/orgs/{org}/risks/acknowledge"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"risk_ids": [_risk_id(w)], "reason": "one unified account for both"},
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/environment"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("PUT", "/orgs/{org}/projects/{project_id}/environment"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        body=lambda w: {"registration_phone": "+86 138 0013 8000", "ip_address": "203.0.113.7"},
    ),
    ("POST", "/orgs/{org}/risks/{risk_id}/acknowledge"): Case(
        ok="bob",
        status=200,
        denied=("carol", "dave", "frank"),
        client_hidden=True,
        ids={"risk_id": _risk_id},
        body=lambda w: {"reason": "the same unified North America account"},
    ),
    # --- audit
    ("GET", "/orgs/{org}/audit"): Case(
        ok="frank", status=200, denied=("bob", "carol", "dave", "grace")
    ),
    ("GET", "/orgs/{org}/audit/verify"): Case(
        ok="frank", status=200, denied=("bob", "carol", "dave", "grace")
    ),
}

DEFAULT_IDS: dict[str, Callable[[World], Any]] = {
    "org": lambda w: "acme",
    "code": lambda w: "amazon-us",
    "user_id": lambda w: w.users["carol"].pk,
    "entity_id": lambda w: w.entity.pk,
    "template_id": lambda w: w.template.pk,
    "number": lambda w: 1,
    "project_id": lambda w: w.project.pk,
    "task_id": lambda w: w.task.pk,
    "approval_id": lambda w: w.approval.pk,
    "document_id": lambda w: _document(w).pk,
}


def _parts() -> None:
    """Merge ``CASES`` from every ``tests/api/matrix_<part>.py`` (one per app that adds routes)."""
    folder = Path(__file__).parent
    for file in sorted(folder.glob("matrix_*.py")):
        module = importlib.import_module(f"tests.api.{file.stem}")
        clash = set(module.CASES) & set(MATRIX)
        assert not clash, f"{file.name} repeats matrix entries: {sorted(clash)}"
        MATRIX.update(module.CASES)
        DEFAULT_IDS.update(getattr(module, "IDS", {}))


_parts()


# --- the routes, as the API object knows them ---------------------------------------------------


def _openapi_routes() -> set[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema(path_prefix="")
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


NINJA_OWN_PAGES = ("openapi-json", "openapi-view", "api-root")


def _url_paths() -> set[str]:
    """Every URL the API serves (docs and schema aside), also those hidden from the schema."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name not in NINJA_OWN_PAGES:
                found.add(prefix + str(p.pattern))

    walk(ninja_api.urls[0], "/")
    return {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", p) for p in found}


ROUTES = sorted(_openapi_routes())


def test_every_route_has_a_matrix_entry():
    routes = _openapi_routes()
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"endpoints without a permission-matrix entry: {missing}"
    stale = sorted(set(MATRIX) - routes)
    assert not stale, f"matrix entries for endpoints that no longer exist: {stale}"
    unlisted = sorted(_url_paths() - {path for _m, path in MATRIX})
    assert not unlisted, f"URLs served outside the OpenAPI document: {unlisted}"


def test_routes_were_found():
    assert len(ROUTES) >= 40
    assert ("POST", "/orgs/{org}/approvals/{approval_id}/decide") in ROUTES


# --- helpers ------------------------------------------------------------------------------------


def _fill(template: str, world: World, case: Case, **override) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in override:
            return str(override[name])
        getter = case.ids.get(name) or DEFAULT_IDS.get(name)
        assert getter is not None, f"no value for {{{name}}} in {template}"
        return str(getter(world))

    return re.sub(r"\{(\w+)\}", value, template)


def _call(client: ApiClient, method: str, path: str, body: dict | None):
    if isinstance(body, Multipart):
        data = {k: v() if callable(v) else v for k, v in body.items()}
        return client.client.post("/api/v1" + path, data=data, **client._headers())
    if method == "GET":
        return client.get(path, **(body or {}))  # a GET's "body" is its query
    if method == "DELETE":
        return client.delete(path)
    return getattr(client, method.lower())(path, body if body is not None else {})


def _has_object_ids(template: str) -> bool:
    return bool(set(re.findall(r"\{(\w+)\}", template)) - {"org"})


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_endpoint_permissions(method, template, world, api):
    case = MATRIX.get((method, template))
    assert case is not None, f"{method} {template} has no entry in the permission matrix"
    path = _fill(template, world, case)
    body = case.body(world) if case.body else None
    clients = {name: api(user) for name, user in world.users.items()}
    before = fingerprint()

    def refused(client, status, code=None, url=path):
        r = _call(client, method, url, body)
        assert_error(r, status, code)
        assert fingerprint() == before, f"{method} {url} refused with {status} but changed data"
        return r

    # (b) no token, or not a token of ours → 401
    if not case.public:
        refused(ApiClient(), 401, "unauthenticated")
        refused(ApiClient(token="lsk_not-a-real-token"), 401, "unauthenticated")

    # (a) a member of another organization → 404, and nothing of acme in the answer
    if "{org}" in template:
        urls = [path]
        if _has_object_ids(template):
            urls.append(_fill(template, world, case, org="evil"))
        for url in urls:
            r = refused(clients["mallory"], 404, "not_found", url=url)
            text = json.dumps(r.json(), ensure_ascii=False)
            assert not any(m in text for m in ACME_MARKERS), text

    # a client of another seller entity does not see the object at all
    if case.client_hidden:
        refused(clients["grace"], 404, "not_found")

    # (c) roles without the right → 403
    for role in case.denied:
        refused(clients[role], 403, "permission_denied")

    # the permitted role succeeds
    client = ApiClient() if case.ok is None else clients[case.ok]
    audit_before = AuditEvent.objects.count()
    r = _call(client, method, path, body)
    assert r.status_code == case.status, (case.ok, r.status_code, r.content[:800])
    if method in WRITE_METHODS and case.audited:
        assert AuditEvent.objects.count() > audit_before, f"{method} {template} wrote no audit"
    if method == "GET":
        assert fingerprint() == before, f"GET {template} changed data"
        assert r.status_code == 200
        if not case.binary:
            assert r.json() is not None


# --- the other organization's objects in one's own organization ---------------------------------


def _answer_text(response, *, binary: bool) -> str:
    """What an answer says, as text: JSON, or a file (CSV; an .xlsx read member by member)."""
    if not binary:
        return json.dumps(response.json(), ensure_ascii=False)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", "replace")


def test_mallory_lists_in_her_own_org_show_nothing_of_acme(world, api):
    world.approval  # noqa: B018 - make sure acme has an approval, a template, comments ...
    client = api(world.users["mallory"])
    lists = [
        path
        for method, path in ROUTES
        if method == "GET" and path.startswith("/orgs/{org}") and not _has_object_ids(path)
    ]
    assert len(lists) >= 7
    for template in lists:
        r = client.get(template.replace("{org}", "evil"))
        assert r.status_code == 200, (template, r.content)
        text = _answer_text(r, binary=MATRIX[("GET", template)].binary)
        assert not any(m in text for m in ACME_MARKERS), (template, text[:500])


def test_mallory_cannot_use_acme_objects_in_bodies_sent_to_her_org(world, api):
    client = api(world.users["mallory"])
    world.template  # noqa: B018 - acme's own template exists before the fingerprint
    before = fingerprint()
    r = client.post(
        "/orgs/evil/projects",
        {"template_id": world.amazon_na.pk, "store_name": "Stolen", "entity_id": world.entity.pk},
    )
    assert_error(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["entity_id"]
    r = client.post(
        "/orgs/evil/projects",
        {"template_id": world.template.pk, "store_name": "Stolen", "entity_id": world.entity.pk},
    )
    assert_error(r, 422)
    assert "template_id" in [e["field"] for e in r.json()["errors"]]
    r = client.post(
        "/orgs/evil/projects/batch",
        {
            "template_id": world.amazon_na.pk,
            "members": [world.users["carol"].pk],
            "rows": [{"store_name": "Stolen", "entity_id": world.entity.pk}],
        },
    )
    assert_error(r, 422)
    r = client.post("/orgs/evil/templates", {"name": "Copy", "clone_from": world.template.pk})
    assert_error(r, 404, "not_found")
    r = client.post(
        "/orgs/evil/members",
        {
            "email": "newbie@example.com",
            "role": "client",
            "entity_id": world.entity.pk,
            "password": "long enough",
        },
    )
    assert_error(r, 422)
    assert fingerprint() == before


def test_mallory_cannot_point_a_member_of_her_org_at_an_acme_entity(world, api, other_org):
    """A client membership in evil tied to acme's entity would be cross-organization data."""
    from linkstar.accounts.services import add_member
    from tests.support.seed import actor_of

    mallory = world.users["mallory"]
    newcomer = add_member(
        actor=actor_of(other_org, mallory),
        email="client@evil.example",
        role="operator",
        password="long enough",
    ).user
    before = fingerprint()
    r = api(mallory).patch(
        f"/orgs/evil/members/{newcomer.pk}", {"role": "client", "entity_id": world.entity.pk}
    )
    assert_error(r, 422)
    assert r.json()["errors"][0]["field"] == "entity_id"
    assert fingerprint() == before


# --- clients see their own entity's projects only -----------------------------------------------


def test_client_sees_only_projects_of_her_entity(world, api):
    from linkstar.projects.services import create_project

    own = create_project(
        actor=world.actor("bob"),
        template_id=world.amazon_na.pk,
        store_name="Yunfan Kitchen US",
        entity_id=world.entity_yunfan.pk,
    )
    grace = api(world.users["grace"])
    r = grace.get("/orgs/acme/projects")
    assert r.status_code == 200
    assert [p["id"] for p in r.json()["items"]] == [own.pk]
    assert r.json()["count"] == 1
    assert grace.get(f"/orgs/acme/projects/{own.pk}").status_code == 200
    assert_error(grace.get(f"/orgs/acme/projects/{world.project.pk}"), 404, "not_found")
    tasks = grace.get("/orgs/acme/tasks", limit=500).json()
    assert {t["project_id"] for t in tasks["items"]} == {own.pk}
    entities = grace.get("/orgs/acme/entities").json()
    assert [e["id"] for e in entities["items"]] == [world.entity_yunfan.pk]
    world.approval  # noqa: B018 - an approval on a Xinghe project
    assert grace.get("/orgs/acme/approvals").json() == {"items": [], "count": 0}


def test_operator_sees_only_projects_she_is_on(world, api):
    from linkstar.projects.services import create_project

    other = create_project(
        actor=world.actor("bob"),
        template_id=world.amazon_na.pk,
        store_name="Xinghe Garden US",
        entity_id=world.entity.pk,
    )
    carol = api(world.users["carol"])
    ids = [p["id"] for p in carol.get("/orgs/acme/projects").json()["items"]]
    assert ids == [world.project.pk]
    assert_error(carol.get(f"/orgs/acme/projects/{other.pk}"), 404, "not_found")
    task = other.tasks.first()
    assert_error(carol.get(f"/orgs/acme/tasks/{task.pk}"), 404, "not_found")
    assert_error(
        carol.patch(f"/orgs/acme/tasks/{task.pk}", {"status": "in_progress"}), 404, "not_found"
    )
    # a reviewer or auditor sees every project of the organization
    for name in ("dave", "frank"):
        ids = {p["id"] for p in api(world.users[name]).get("/orgs/acme/projects").json()["items"]}
        assert ids == {world.project.pk, other.pk}


def test_operator_may_not_plan_a_task(world, api):
    """Assignee and dates are the manager's; an operator on the team gets 403."""
    before = fingerprint()
    r = api(world.users["carol"]).patch(
        f"/orgs/acme/tasks/{world.task.pk}", {"assignee_id": world.users["carol"].pk}
    )
    assert_error(r, 403, "permission_denied")
    assert fingerprint() == before
    r = api(world.users["bob"]).patch(
        f"/orgs/acme/tasks/{world.task.pk}", {"assignee_id": world.users["carol"].pk}
    )
    assert r.status_code == 200, r.content
    assert r.json()["assignee_id"] == world.users["carol"].pk


def test_requester_cannot_decide_her_own_approval(world, api):
    """Four eyes: bob manages the project, asks for approval, and may not decide it himself."""
    from linkstar.projects.services import update_task

    project = world.mini_project("Four Eyes Shop")
    task = project.tasks.get(key="collect")
    as_bob = world.actor("bob")
    task = update_task(actor=as_bob, task=task, status="in_progress")
    update_task(actor=as_bob, task=task, status="done")
    approval = task.approval_requests.get()
    before = fingerprint()
    r = api(world.users["bob"]).post(
        f"/orgs/acme/approvals/{approval.pk}/decide", {"decision": "approve"}
    )
    assert_error(r, 403, "four_eyes")
    assert fingerprint() == before
    r = api(world.users["alice"]).post(
        f"/orgs/acme/approvals/{approval.pk}/decide", {"decision": "approve"}
    )
    assert r.status_code == 200
    assert r.json()["status"] == "approved"
