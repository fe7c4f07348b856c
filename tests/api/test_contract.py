"""The API against its written contract, /work/shared/API.md (a copy is read where it lives).

Every ``METHOD /path`` of API.md's tables must be in the OpenAPI document, and the answers carry
at least the fields API.md's "Objects" section lists.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from linkstar.projects.services import update_task
from tests.support.gates import pass_gates

API_MD_CANDIDATES = [
    Path(os.environ.get("LINKSTAR_API_MD", "/nonexistent")),
    Path("/work/shared/API.md"),
    Path(__file__).resolve().parents[2] / "docs" / "API.md",
]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _api_md() -> str:
    for path in API_MD_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("API.md not found")


def _loose(path: str) -> str:
    """``/orgs/{org}/entities/{id}`` and ``/orgs/{org}/entities/{entity_id}`` compare equal."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def contract_routes(text: str) -> set[tuple[str, str]]:
    """``(METHOD, path)`` for every table row of API.md: `GET/POST /x` is two routes, and a lone
    `DELETE` in the answer column applies to that row's path."""
    routes = set()
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([A-Z/]+) (/[^`\s]*)`", cells[0])
        if not m:
            continue
        methods, path = m.group(1).split("/"), m.group(2)
        assert all(x in METHODS for x in methods), line
        extra = re.findall(r"`(GET|POST|PUT|PATCH|DELETE)`", " ".join(cells[1:]))
        for method in [*methods, *extra]:
            routes.add((method, path))
    return routes


def _split_top(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p.strip() for p in parts if p.strip()]


def object_fields(spec: str) -> dict[str, dict | None]:
    """``{"id","template":{"id","version"},"decisions":[{"level"}]}`` →
    ``{"id": None, "template": {"id": None, "version": None}, "decisions": {"level": None}}``
    (a list of objects is described by the fields of its items)."""
    spec = spec.strip()
    assert spec.startswith("{") and spec.endswith("}"), spec
    fields: dict[str, dict | None] = {}
    for part in _split_top(spec[1:-1]):
        m = re.match(r'"(\w+)"\s*(?::\s*(.*))?$', part, re.S)
        if not m:
            continue  # "..." or prose
        name, value = m.group(1), (m.group(2) or "").strip()
        if value.startswith("{"):
            fields[name] = object_fields(value)
        elif value.startswith("[{"):
            fields[name] = object_fields(value[1 : value.rindex("}") + 1])
        else:
            fields[name] = None
    return fields


def contract_objects(text: str) -> dict[str, dict]:
    section = text.split("## Objects", 1)[1]
    objects = {}
    for m in re.finditer(r"^- ([\w ]+?): `(\{.*\})`", section, re.M):
        objects[m.group(1).strip()] = object_fields(m.group(2))
    return objects


def assert_has_fields(answer, fields: dict, where: str) -> None:
    assert isinstance(answer, dict), (where, answer)
    missing = sorted(set(fields) - set(answer))
    assert not missing, f"{where} lacks {missing}; it has {sorted(answer)}"
    for name, sub in fields.items():
        if sub is None:
            continue
        value = answer[name]
        items = value if isinstance(value, list) else [value]
        assert items, f"{where}.{name} is empty; cannot check {sorted(sub)}"
        for item in items:
            assert_has_fields(item, sub, f"{where}.{name}")


# --- the parser itself --------------------------------------------------------------------------


def test_contract_parser_reads_combined_methods_and_nested_objects():
    text = (
        "| `GET/PATCH /orgs/{org}/x/{id}` | a |\n"
        '| `PATCH /orgs/{org}/m/{user_id}` | `{"role"}` · `DELETE` removes it |\n'
        "| not a route | `GET` |\n"
    )
    assert contract_routes(text) == {
        ("GET", "/orgs/{org}/x/{id}"),
        ("PATCH", "/orgs/{org}/x/{id}"),
        ("PATCH", "/orgs/{org}/m/{user_id}"),
        ("DELETE", "/orgs/{org}/m/{user_id}"),
    }
    assert object_fields(
        '{"id","status":"pending"|"approved","t":{"id","version"},"d":[{"level","at"}],...}'
    ) == {
        "id": None,
        "status": None,
        "t": {"id": None, "version": None},
        "d": {"level": None, "at": None},
    }


# --- the OpenAPI document -----------------------------------------------------------------------


def test_openapi_document_lists_every_route_of_api_md(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    available = set()
    for path, operations in schema["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method in operations:
            available.add((method.upper(), _loose(path.removeprefix("/api/v1"))))
    wanted = contract_routes(_api_md())
    assert len(wanted) >= 35, sorted(wanted)
    missing = sorted(f"{m} {p}" for m, p in wanted if (m, _loose(p)) not in available)
    assert not missing, f"in API.md but not in the OpenAPI document: {missing}"


def test_openapi_document_declares_bearer_auth(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())


def test_docs_page_is_html(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    assert b"openapi.json" in r.content


# --- the objects --------------------------------------------------------------------------------


@pytest.fixture
def objects():
    found = contract_objects(_api_md())
    assert {"Project", "Task", "Approval request", "Template"} <= set(found), sorted(found)
    return found


def test_project_answers_carry_api_md_fields(api, bob, carol, project, objects):
    fields = objects["Project"]
    assert {"id", "code", "template", "version", "member_ids"} <= set(fields)
    client = api(bob)
    assert_has_fields(client.get(f"/orgs/acme/projects/{project.pk}").json(), fields, "GET project")
    for item in client.get("/orgs/acme/projects").json()["items"]:
        assert_has_fields(item, fields, "project list item")
    answer = client.patch(f"/orgs/acme/projects/{project.pk}", {"store_name": "Renamed"}).json()
    assert_has_fields(answer, fields, "PATCH project")
    pass_gates(project)
    answer = client.post(f"/orgs/acme/projects/{project.pk}/stage", {"stage": "under_review"})
    assert_has_fields(answer.json(), fields, "POST stage")


def test_project_get_carries_its_table_row_fields(api, bob, project):
    """The GET row of API.md names ``entity`` and ``manager`` besides the Objects list."""
    answer = api(bob).get(f"/orgs/acme/projects/{project.pk}").json()
    row = '{"id","code","store_name","site","entity","manager","stage","status","start_date","planned_finish","progress","template":{"id","version"},"version"}'
    assert_has_fields(answer, object_fields(row), "GET project")
    assert 0 <= answer["progress"] <= 100


def test_created_project_answer_carries_api_md_fields(api, bob, entity, amazon_na, objects):
    r = api(bob).post(
        "/orgs/acme/projects",
        {"template_id": amazon_na.pk, "store_name": "Shop Z", "entity_id": entity.pk},
    )
    assert r.status_code == 201
    assert_has_fields(r.json(), objects["Project"], "POST project")


def test_task_answers_carry_api_md_fields(api, carol, project, objects):
    fields = objects["Task"]
    assert {"id", "project_id", "depends_on", "version"} <= set(fields)
    client = api(carol)
    task = project.tasks.get(key="review-document-pack")
    answer = client.get(f"/orgs/acme/tasks/{task.pk}").json()
    assert_has_fields(answer, fields, "GET task")
    assert len(answer["depends_on"]) == 6 and all(isinstance(i, int) for i in answer["depends_on"])
    for path in ("/orgs/acme/tasks", f"/orgs/acme/projects/{project.pk}/tasks"):
        for item in client.get(path).json()["items"]:
            assert_has_fields(item, fields, path)
    first = project.tasks.get(key="prepare-license")
    answer = client.patch(f"/orgs/acme/tasks/{first.pk}", {"status": "in_progress"}).json()
    assert_has_fields(answer, fields, "PATCH task")


def test_approval_answers_carry_api_md_fields(api, bob, carol, dave, project, as_carol, objects):
    fields = objects["Approval request"]
    assert {"id", "task_id", "decisions", "current_level"} <= set(fields)
    pass_gates(project)
    task = project.tasks.get(key="set-deposit-method")  # two levels
    task.depends_on.clear()
    task = update_task(actor=as_carol, task=task, status="in_progress")
    update_task(actor=as_carol, task=task, status="done")
    approval = task.approval_requests.get()
    r = api(dave).post(
        f"/orgs/acme/approvals/{approval.pk}/decide", {"decision": "approve", "comment": "fine"}
    )
    assert r.status_code == 200
    answer = r.json()
    assert_has_fields(answer, fields, "POST decide")  # decisions is not empty: items checked
    assert answer["status"] == "pending" and answer["current_level"] == 2
    assert answer["requested_by"] == carol.pk
    assert_has_fields(
        api(bob).get(f"/orgs/acme/approvals/{approval.pk}").json(), fields, "GET approval"
    )
    items = api(bob).get("/orgs/acme/approvals").json()["items"]
    assert [a["id"] for a in items] == [approval.pk]
    assert_has_fields(items[0], fields, "approval list item")


def test_template_answers_carry_api_md_fields(api, org, alice, amazon_na, objects):
    fields = objects["Template"]
    assert {"id", "name", "site", "builtin", "latest_version"} <= set(fields)
    client = api(alice)
    r = client.post("/orgs/acme/templates", {"name": "Acme NA", "clone_from": amazon_na.pk})
    assert r.status_code == 201
    created = r.json()
    assert_has_fields(created, fields, "POST template")
    assert created["builtin"] is False and created["latest_version"] == 1
    items = client.get("/orgs/acme/templates").json()["items"]
    for item in items:
        assert_has_fields(item, fields, "template list item")
    assert {created["id"], amazon_na.pk} <= {t["id"] for t in items}
    version = client.get(f"/orgs/acme/templates/{created['id']}/versions/1").json()
    assert version["number"] == 1 and version["status"] == "draft"
    blueprint = '{"key","title","description","phase","offset_days","duration_days","depends_on","role","document_types","approval_levels","checklist","sets_stage"}'
    for task in version["tasks"]:
        assert_has_fields(task, object_fields(blueprint), "blueprint")


def test_account_answers_carry_api_md_fields(api, alice, org):
    client = api(alice)
    me = client.get("/me").json()
    assert_has_fields(
        me, object_fields('{"id","email","name","memberships":[{"org","role"}]}'), "/me"
    )
    orgs = client.get("/orgs").json()["items"]
    assert_has_fields(orgs[0], object_fields('{"slug","name","role"}'), "/orgs item")
    members = client.get("/orgs/acme/members").json()["items"]
    assert_has_fields(members[0], object_fields('{"user_id","email","name","role"}'), "member")


def test_audit_answers_carry_api_md_fields(api, alice, project):
    client = api(alice)
    events = client.get("/orgs/acme/audit").json()["items"]
    spec = '{"id","at","actor","action","object_type","object_id","changes"}'
    for event in events:
        assert_has_fields(event, object_fields(spec), "audit event")
    verify = client.get("/orgs/acme/audit/verify").json()
    assert_has_fields(verify, object_fields('{"ok","checked","first_bad_id"}'), "audit verify")
    assert verify["ok"] is True and verify["checked"] == len(events)


def test_catalog_answers_carry_api_md_fields(api, carol, org):
    client = api(carol)
    platforms = client.get("/platforms").json()["items"]
    spec = '{"code","name","sites":[{"code","name","country","currency","rules":{}}]}'
    for platform in platforms:
        assert_has_fields(platform, object_fields(spec), "platform")
    site = client.get("/sites/amazon-us").json()
    assert_has_fields(
        site, object_fields('{"code","name","country","currency","rules","templates"}'), "site"
    )
    codes = {d["code"] for d in client.get("/document-types", limit=500).json()["items"]}
    documented = re.findall(r"`(\w+)`", _api_md().split("GET /document-types", 1)[1].split("\n")[0])
    assert {"business_license", "w8ben_e"} <= set(documented)
    assert set(documented) <= codes
