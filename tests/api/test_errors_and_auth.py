"""Tokens, the error format, conflicts and paging, as API.md promises them to clients."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from linkstar.accounts.models import ApiToken
from linkstar.accounts.services import issue_token
from linkstar.projects.models import StoreProject, Task
from tests.support.assertions import assert_error, fingerprint
from tests.support.clients import ApiClient
from tests.support.seed import PASSWORD

# --- tokens -------------------------------------------------------------------------------------


def test_good_credentials_get_a_token_that_works(alice):
    r = ApiClient().post(
        "/auth/token", {"email": "alice@example.com", "password": PASSWORD, "name": "erp sync"}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == {"token"}
    me = ApiClient(token=body["token"]).get("/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"
    assert ApiToken.objects.get(user=alice).name == "erp sync"


def test_email_is_matched_case_insensitively(alice):
    r = ApiClient().post("/auth/token", {"email": " Alice@Example.COM ", "password": PASSWORD})
    assert r.status_code == 201


def test_bad_credentials_get_401_and_no_token(alice):
    for body in (
        {"email": "alice@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "", "password": ""},
    ):
        r = ApiClient().post("/auth/token", body)
        assert_error(r, 401)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token_and_its_tokens_stop_working(alice):
    _, raw = issue_token(user=alice)
    alice.is_active = False
    alice.save()
    assert_error(
        ApiClient().post("/auth/token", {"email": "alice@example.com", "password": PASSWORD}), 401
    )
    assert_error(ApiClient(token=raw).get("/me"), 401, "unauthenticated")


def test_token_is_stored_hashed_and_the_raw_value_nowhere(alice):
    r = ApiClient().post("/auth/token", {"email": "alice@example.com", "password": PASSWORD})
    raw = r.json()["token"]
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash != raw
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for row in ApiToken.objects.values_list() for v in row]
    assert not any(raw in value for value in stored)
    assert raw.startswith(token.prefix)  # only a short prefix is kept, to recognise it


def test_revoked_token_gets_401(alice):
    token, raw = issue_token(user=alice)
    assert ApiClient(token=raw).get("/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_error(ApiClient(token=raw).get("/me"), 401, "unauthenticated")


def test_expired_token_gets_401(alice):
    _, raw = issue_token(user=alice, expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(ApiClient(token=raw).get("/me"), 401, "unauthenticated")
    _, fresh = issue_token(user=alice, expires_at=timezone.now() + dt.timedelta(days=1))
    assert ApiClient(token=fresh).get("/me").status_code == 200


def test_missing_or_malformed_authorization_gets_401(alice, client):
    _, raw = issue_token(user=alice)
    for header in (None, f"Token {raw}", "Bearer", f"Basic {raw}", f"Bearer {raw}x"):
        extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
        r = client.get("/api/v1/me", **extra)
        assert_error(r, 401, "unauthenticated")


# --- 404 ----------------------------------------------------------------------------------------


def test_unknown_object_gets_404_in_the_error_format(api, bob, project):
    client = api(bob)
    assert_error(client.get("/orgs/acme/projects/999999"), 404, "not_found")
    assert_error(client.get("/orgs/acme/tasks/999999"), 404, "not_found")
    assert_error(client.get("/orgs/nosuchorg/projects"), 404, "not_found")
    assert_error(client.get("/sites/no-such-site"), 404, "not_found")


# --- 422 ----------------------------------------------------------------------------------------


def _assert_invalid(response, fields: set[str]) -> dict:
    body = assert_error(response, 422, "invalid")
    assert isinstance(body["errors"], list) and body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["field"], str) and error["field"]
        assert isinstance(error["message"], str) and error["message"]
    assert fields <= {e["field"] for e in body["errors"]}, body
    return body


def test_missing_field_gets_422_naming_it(api, bob, entity, amazon_na):
    before = fingerprint()
    r = api(bob).post("/orgs/acme/projects", {"template_id": amazon_na.pk, "entity_id": entity.pk})
    _assert_invalid(r, {"store_name"})
    assert fingerprint() == before


def test_wrong_types_get_422_naming_each_field(api, bob, entity, amazon_na):
    before = fingerprint()
    r = api(bob).post(
        "/orgs/acme/projects",
        {
            "template_id": "amazon",
            "store_name": "Shop",
            "entity_id": entity.pk,
            "start_date": "next monday",
            "members": "carol",
        },
    )
    _assert_invalid(r, {"template_id", "start_date", "members"})
    assert fingerprint() == before


def test_wrong_query_and_path_types_get_422(api, bob, project):
    client = api(bob)
    _assert_invalid(client.get("/orgs/acme/projects", limit="many"), {"limit"})
    _assert_invalid(client.get("/orgs/acme/tasks", due_before="soon"), {"due_before"})
    _assert_invalid(client.get("/orgs/acme/projects/abc"), {"project_id"})


def test_a_body_that_is_not_json_gets_422_in_the_error_format(api, bob, entity):
    """API.md lists 422 for invalid input; Ninja's own answer would be a bare 400."""
    client = api(bob)
    before = fingerprint()
    r = client.client.post(
        "/api/v1/orgs/acme/entities",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    _assert_invalid(r, {"body"})
    assert fingerprint() == before


def test_service_validation_errors_name_the_field(api, bob, entity, amazon_na):
    r = api(bob).post(
        "/orgs/acme/projects",
        {
            "template_id": amazon_na.pk,
            "store_name": "  ",
            "entity_id": entity.pk,
            "site": "ebay-us",
        },
    )
    _assert_invalid(r, {"store_name", "site"})
    assert "row" not in r.json()["errors"][0]


def test_batch_422_rows_carry_their_row_number_and_nothing_is_created(api, bob, entity, amazon_na):
    before = fingerprint()
    r = api(bob).post(
        "/orgs/acme/projects/batch",
        {
            "template_id": amazon_na.pk,
            "rows": [
                {"store_name": "Good One", "entity_id": entity.pk},
                {"store_name": "Bad Entity", "entity_id": 999999},
                {"store_name": "Good One", "entity_id": entity.pk},
            ],
        },
    )
    body = _assert_invalid(r, {"entity_id", "store_name"})
    rows = {(e["row"], e["field"]) for e in body["errors"]}
    assert rows == {(1, "entity_id"), (2, "store_name")}
    assert "row 1" in body["detail"]
    assert fingerprint() == before
    assert not StoreProject.objects.exists()


def test_batch_row_with_a_wrong_type_is_named_by_row(api, bob, entity, amazon_na):
    r = api(bob).post(
        "/orgs/acme/projects/batch",
        {
            "template_id": amazon_na.pk,
            "rows": [{"store_name": "A", "entity_id": entity.pk}, {"entity_id": "x"}],
        },
    )
    body = _assert_invalid(r, set())
    assert {e.get("row") for e in body["errors"]} == {1}
    assert not StoreProject.objects.exists()


# --- 409 ----------------------------------------------------------------------------------------


def test_stage_move_the_machine_lacks_gets_409_transition_not_allowed(api, bob, project):
    before = fingerprint()
    r = api(bob).post(f"/orgs/acme/projects/{project.pk}/stage", {"stage": "opened"})
    assert_error(r, 409, "transition_not_allowed")
    assert fingerprint() == before
    r = api(bob).post(f"/orgs/acme/projects/{project.pk}/stage", {"stage": "flying"})
    _assert_invalid(r, {"stage"})


def test_task_status_jump_gets_409_transition_not_allowed(api, carol, project):
    task = project.tasks.get(key="prepare-license")
    before = fingerprint()
    r = api(carol).patch(f"/orgs/acme/tasks/{task.pk}", {"status": "done"})
    assert_error(r, 409, "transition_not_allowed")
    assert fingerprint() == before


def test_starting_a_task_before_its_dependencies_gets_409_dependency_not_done(api, carol, project):
    task = project.tasks.get(key="review-document-pack")
    before = fingerprint()
    r = api(carol).patch(f"/orgs/acme/tasks/{task.pk}", {"status": "in_progress"})
    body = assert_error(r, 409, "dependency_not_done")
    assert "prepare-license" in body["detail"]
    assert fingerprint() == before


def test_patch_task_with_an_old_version_gets_409_and_changes_nothing(api, carol, bob, project):
    task = project.tasks.get(key="prepare-license")
    old = task.version
    r = api(carol).patch(f"/orgs/acme/tasks/{task.pk}", {"status": "in_progress", "version": old})
    assert r.status_code == 200
    assert r.json()["version"] == old + 1
    before = fingerprint()
    r = api(bob).patch(
        f"/orgs/acme/tasks/{task.pk}", {"due_date": "2027-01-01", "status": "done", "version": old}
    )
    assert_error(r, 409, "stale_version")
    assert fingerprint() == before
    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.version) == ("in_progress", old + 1)
    assert task.due_date != dt.date(2027, 1, 1)


def test_patch_project_with_an_old_version_gets_409(api, bob, project):
    old = project.version
    assert (
        api(bob).patch(f"/orgs/acme/projects/{project.pk}", {"store_name": "A"}).status_code == 200
    )
    before = fingerprint()
    r = api(bob).patch(f"/orgs/acme/projects/{project.pk}", {"store_name": "B", "version": old})
    assert_error(r, 409, "stale_version")
    assert fingerprint() == before
    assert StoreProject.objects.get(pk=project.pk).store_name == "A"


# --- paging -------------------------------------------------------------------------------------


def _more_projects(as_bob, amazon_na, entity, n: int) -> None:
    from linkstar.projects.services import ProjectRow, create_projects_batch

    create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[ProjectRow(store_name=f"Shop {i:03d}", entity_id=entity.pk) for i in range(n)],
    )


def test_lists_default_to_50_and_answer_items_and_count(api, bob, as_bob, amazon_na, entity):
    _more_projects(as_bob, amazon_na, entity, 3)  # 3 × 21 tasks
    r = api(bob).get("/orgs/acme/tasks")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == Task.objects.count() == 63
    assert len(body["items"]) == 50


def test_limit_is_at_most_500(api, bob, project):
    client = api(bob)
    assert client.get("/orgs/acme/tasks", limit=500).status_code == 200
    _assert_invalid(client.get("/orgs/acme/tasks", limit=501), {"limit"})
    _assert_invalid(client.get("/orgs/acme/tasks", limit=0), {"limit"})
    _assert_invalid(client.get("/orgs/acme/tasks", offset=-1), {"offset"})


def test_offset_pages_through_without_gaps_or_repeats(api, bob, as_bob, amazon_na, entity):
    _more_projects(as_bob, amazon_na, entity, 3)
    client = api(bob)
    seen = []
    for offset in range(0, 70, 20):
        body = client.get("/orgs/acme/tasks", limit=20, offset=offset).json()
        assert body["count"] == 63
        seen.extend(t["id"] for t in body["items"])
    assert len(seen) == len(set(seen)) == 63
    tail = client.get("/orgs/acme/tasks", limit=50, offset=60).json()
    assert len(tail["items"]) == 3
    beyond = client.get("/orgs/acme/tasks", offset=1000).json()
    assert beyond == {"items": [], "count": 63}


def test_every_list_endpoint_answers_the_envelope(api, alice, project):
    client = api(alice)
    for path in (
        "/orgs",
        "/platforms",
        "/document-types",
        "/orgs/acme/members",
        "/orgs/acme/entities",
        "/orgs/acme/templates",
        "/orgs/acme/projects",
        f"/orgs/acme/projects/{project.pk}/tasks",
        f"/orgs/acme/projects/{project.pk}/comments",
        "/orgs/acme/tasks",
        "/orgs/acme/approvals",
        "/orgs/acme/audit",
    ):
        r = client.get(path, limit=1)
        assert r.status_code == 200, path
        body = r.json()
        assert set(body) == {"items", "count"}, path
        assert len(body["items"]) <= 1
        assert isinstance(body["count"], int)
        _assert_invalid(client.get(path, limit=501), {"limit"})


# --- odd input is refused by name, never a crash (PostgreSQL enforces column sizes) -------------


def test_odd_query_values_get_422_naming_the_parameter(api, bob, project):
    client = api(bob)
    for path, params, field in (
        ("/orgs/acme/tasks", {"assignee": "bob"}, "assignee"),
        ("/orgs/acme/tasks", {"assignee": "-1"}, "assignee"),
        ("/orgs/acme/tasks", {"project": "x"}, "project"),
        ("/orgs/acme/projects", {"manager": "x"}, "manager"),
        ("/orgs/acme/projects", {"overdue": "maybe"}, "overdue"),
        ("/orgs/acme/audit", {"since": "2026-13-01"}, "since"),
        ("/orgs/acme/approvals", {"mine": "x"}, "mine"),
    ):
        _assert_invalid(client.get(path, **params), {field})
    mine = client.get("/orgs/acme/tasks", assignee="me")
    assert mine.status_code == 200
    assert all(t["assignee_id"] == bob.pk for t in mine.json()["items"])
    by_id = client.get("/orgs/acme/tasks", assignee=str(bob.pk))
    assert by_id.json()["count"] == mine.json()["count"] > 0


def test_overlong_text_gets_422_naming_the_field(api, alice, bob, project, amazon_na, entity):
    from tests.support.seed import APPROVAL_MINI_TASKS, actor_of, publish_template

    draft = publish_template(
        actor_of(project.organization, alice), APPROVAL_MINI_TASKS, name="D", publish=False
    )
    before = fingerprint()
    manager, admin = api(bob), api(alice)
    _assert_invalid(
        manager.patch(f"/orgs/acme/projects/{project.pk}", {"store_name": "x" * 201}),
        {"store_name"},
    )
    _assert_invalid(
        admin.post("/orgs/acme/templates", {"name": "x" * 201, "site": "amazon-us"}), {"name"}
    )
    blueprint = {"key": "a", "phase": "documents"}
    for task, field in (
        ({**blueprint, "title": "x" * 201}, "tasks[0] (a).title"),
        ({**blueprint, "title": "A", "offset_days": 10**12}, "tasks[0] (a).offset_days"),
        ({**blueprint, "title": "A", "duration_days": 10**6}, "tasks[0] (a).duration_days"),
    ):
        r = admin.put(f"/orgs/acme/templates/{draft.pk}/versions/1", {"tasks": [task]})
        _assert_invalid(r, {field})
    r = manager.post(
        "/orgs/acme/projects",
        {
            "template_id": amazon_na.pk,
            "store_name": "Far Future",
            "entity_id": entity.pk,
            "start_date": "9999-12-30",
        },
    )
    _assert_invalid(r, {"start_date"})
    assert fingerprint() == before
