"""A client sees nothing internal (issue 15 §1): walking every page reachable from its workbench
and every API path it may name, a client of the Yunfan entity meets no staff e-mail address, no
other seller entity nor its stores, no store credential, no audit event about credentials or
revealed secrets, no template of the organization, and no server error."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import deque

import pytest

from linkstar.accounts.models import Membership
from linkstar.accounts.services import add_member
from linkstar.core.clock import org_today
from linkstar.docrequests.services import create_link, upload_to_item
from linkstar.entities.services import create_credential, reveal_secret
from linkstar.projects.services import add_comment, update_task
from tests.support.clients import client_for
from tests.support.docrequests import ask
from tests.support.files import licence
from tests.support.seed import MINI_TASKS, PASSWORD, actor_of, build_project, publish_template

ORG_TEMPLATE = "Acme Internal SOP Zeta"
OTHER_STORE = "Xinghe Hidden Store"
CREDENTIAL_LABEL = "Zeta Vault Seller Login"
CREDENTIAL_LOGIN = "zeta-login@yunfan-store.example"
NAMELESS = "quiet.operator@staff-internal.example"
INTERNAL_NOTE = "Internal note Zeta: the client is slow"
OTHER_REQUEST = "Other entity request message Zeta"
# files a person downloads, not pages (the CSV exports are read: they are text)
SKIPPED = ("/logout", "/download", "/file", ".ics", ".xlsx", ".zip")
MAX_PAGES = 400


@pytest.fixture
def client_world(org, as_alice, as_bob, bob, carol, dave, frank, grace, entity, entity_yunfan):
    """grace's store (from an organization template, a nameless operator and carol on the team,
    a credential revealed), another entity's store with its own client, staff of every role."""
    template = publish_template(as_alice, MINI_TASKS, name=ORG_TEMPLATE)
    nameless = add_member(
        actor=as_alice, email=NAMELESS, role="operator", name="", password=PASSWORD
    ).user
    henry = add_member(
        actor=as_alice,
        email="henry@xinghe-client.example",
        role="client",
        name="Henry",
        password=PASSWORD,
        entity_id=entity.pk,
    ).user
    project = build_project(
        manager=as_bob,
        template=template,
        entity=entity_yunfan,
        members=[carol, nameless],
        store_name="Yunfan Shop US",
    )
    task = project.tasks.get(key="collect")
    task = update_task(actor=as_bob, task=task, assignee_id=nameless.pk)
    update_task(actor=actor_of(org, nameless), task=task, status="in_progress")
    credential = create_credential(
        actor=as_bob,
        project=project,
        kind="platform_login",
        label=CREDENTIAL_LABEL,
        login=CREDENTIAL_LOGIN,
        secret="zeta-secret-pass",
    )
    reveal_secret(actor=as_bob, obj=credential, field="secret", reason="客户要求核对")
    other = build_project(manager=as_bob, template=template, entity=entity, store_name=OTHER_STORE)
    # a document request answered in part, an internal comment and one shown to the client; the
    # other entity's request and its message
    due = org_today(org) + dt.timedelta(days=30)
    request = ask(as_bob, project, "business_license", "bank_statement", due=due)
    item = request.items.get(document_type__code="business_license")
    upload = upload_to_item(actor=actor_of(org, grace), item=item, file=licence())
    create_link(actor=as_bob, request=request)
    add_comment(actor=as_bob, project=project, task=task, body=INTERNAL_NOTE)
    add_comment(actor=as_bob, project=project, task=task, body="请上传营业执照", for_client=True)
    ask(as_bob, other, "passport", due=due, message=OTHER_REQUEST)
    staff_emails = set(
        Membership.objects.filter(organization=org)
        .exclude(role="client")
        .values_list("user__email", flat=True)
    )
    assert {bob.email, carol.email, dave.email, frank.email, NAMELESS} <= staff_emails
    forbidden = {
        *staff_emails,
        henry.email,
        entity.name,
        entity.name_en,
        OTHER_STORE,
        CREDENTIAL_LABEL,
        CREDENTIAL_LOGIN,
        ORG_TEMPLATE,
        "secret.revealed",
        "credential.created",
        INTERNAL_NOTE,
        OTHER_REQUEST,
        "docrequest.link_created",
    }
    return {
        "project": project,
        "task": task,
        "request": request,
        "item": item,
        "upload": upload,
        "forbidden": forbidden,
    }


def _leaks(text: str, forbidden: set[str]) -> set[str]:
    text = html.unescape(text)
    return {word for word in forbidden if word in text}


def _text(answer) -> str:
    body = b"".join(answer) if answer.streaming else answer.content
    return body.decode("utf-8-sig", errors="replace")


def _links(page: str) -> set[str]:
    """The links of a page, and the parts it loads by itself (``hx-get``)."""
    return {html.unescape(h) for h in re.findall(r'(?:href|hx-get)="(/o/acme/[^"#]*)"', page)}


def test_no_page_reachable_from_a_clients_workbench_shows_anything_internal(grace, client_world):
    client = client_for(grace)
    forbidden = client_world["forbidden"]
    seen: set[str] = set()
    queries: dict[str, int] = {}
    queue = deque(["/o/acme/"])
    leaks: dict[str, set[str]] = {}
    errors: dict[str, int] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = url.split("?", 1)[0]
        if url in seen:
            continue
        if any(s in path for s in SKIPPED):
            continue
        if "?" in url:  # a few variants of each page's filters, not every combination
            queries[path] = queries.get(path, 0) + 1
            if queries[path] > 6:
                continue
        seen.add(url)
        answer = client.get(url)
        if answer.status_code >= 400:  # a server error, or a link that refuses the client
            errors[url] = answer.status_code
        kind = answer.get("Content-Type", "")
        if kind.startswith(("text/html", "text/csv")):
            page = _text(answer)
            if found := _leaks(page, forbidden):
                leaks[url] = found
            queue.extend(sorted(_links(page) - seen))
    assert len(seen) > 10, sorted(seen)
    assert f"/o/acme/projects/{client_world['project'].pk}/" in seen
    assert f"/o/acme/tasks/{client_world['task'].pk}/" in seen
    assert f"/o/acme/requests/{client_world['request'].pk}/" in seen
    assert f"/o/acme/projects/{client_world['project'].pk}/requests/card/" in seen
    assert errors == {}
    assert not leaks, "\n".join(f"{url}: {sorted(found)}" for url, found in sorted(leaks.items()))


# ids of what the client may see, by the name of the path's parameter
def _ids(client_world, amazon_na, entity_yunfan) -> dict[str, int]:
    return {
        "project_id": client_world["project"].pk,
        "task_id": client_world["task"].pk,
        "entity_id": entity_yunfan.pk,
        "template_id": amazon_na.pk,
        "number": 1,
        "request_id": client_world["request"].pk,
        "item_id": client_world["item"].pk,
        "upload_id": client_world["upload"].pk,
    }


def test_no_api_answer_to_a_client_holds_anything_internal(
    api, grace, client_world, amazon_na, entity_yunfan
):
    client = api(grace)
    schema = client.get("/openapi.json").json()
    ids = _ids(client_world, amazon_na, entity_yunfan)
    forbidden = client_world["forbidden"]
    asked, leaks, errors = [], {}, {}
    for raw, operations in sorted(schema["paths"].items()):
        if "get" not in operations:
            continue
        path = raw.removeprefix("/api/v1")
        params = set(re.findall(r"\{(\w+)\}", path))
        if not path.startswith("/orgs/{org}") or not params - {"org"} <= set(ids):
            continue
        url = path.replace("{org}", "acme")
        for name in params - {"org"}:
            url = url.replace("{" + name + "}", str(ids[name]))
        if any(s in url for s in SKIPPED):
            continue
        answer = client.get(url)
        asked.append(url)
        if answer.status_code >= 500:
            errors[url] = answer.status_code
        if found := _leaks(_text(answer), forbidden):
            leaks[url] = found
    assert f"/orgs/acme/projects/{client_world['project'].pk}" in asked
    assert f"/orgs/acme/projects/{client_world['project'].pk}/history" in asked
    assert "/orgs/acme/members" in asked and "/orgs/acme/templates" in asked
    assert f"/orgs/acme/document-requests/{client_world['request'].pk}" in asked
    assert errors == {}
    assert not leaks, "\n".join(f"{url}: {sorted(found)}" for url, found in sorted(leaks.items()))


def test_a_client_is_answered_the_built_in_templates_only(api, grace, bob, client_world):
    template = client_world["project"].template_version.template
    listed = api(grace).get("/orgs/acme/templates", limit=500).json()["items"]
    assert listed and all(t["builtin"] for t in listed)
    assert template.pk in {t["id"] for t in api(bob).get("/orgs/acme/templates").json()["items"]}
    for path in (
        f"/orgs/acme/templates/{template.pk}",
        f"/orgs/acme/templates/{template.pk}/versions/1",
    ):
        assert api(grace).get(path).status_code == 404
        assert api(bob).get(path).status_code == 200
    page = client_for(grace)
    project = client_world["project"]
    for url in (f"/o/acme/templates/{template.pk}/", f"/o/acme/projects/{project.pk}/upgrade/"):
        assert page.get(url).status_code == 404
    assert 'data-nav="templates"' not in page.get("/o/acme/").content.decode()
    assert 'data-nav="templates"' in client_for(bob).get("/o/acme/").content.decode()


def test_a_client_reads_a_neutral_word_for_a_person_without_a_name(grace, bob, client_world):
    url = f"/o/acme/tasks/{client_world['task'].pk}/"
    assert "Team member" in client_for(grace).get(url).content.decode()
    assert NAMELESS in client_for(bob).get(url).content.decode()
    chinese = client_for(grace, language="zh-hans").get(url).content.decode()
    assert "团队成员" in chinese
