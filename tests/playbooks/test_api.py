"""The SOP template endpoints of API.md: answers, error codes, isolation, and what they write."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.playbooks.models import Template, TemplateVersion
from linkstar.playbooks.services import publish_version, replace_draft_tasks


def _state(template_id: int) -> list[tuple]:
    return [
        (v.number, v.status, v.version, [bp.key for bp in v.blueprints.order_by("position")])
        for v in TemplateVersion.objects.filter(template_id=template_id).order_by("number")
    ]


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def published_acme(as_alice, acme_template, three_tasks) -> Template:
    version = acme_template.versions.get()
    replace_draft_tasks(actor=as_alice, version=version, tasks=three_tasks)
    publish_version(actor=as_alice, version=version)
    return acme_template


# --- list and read --------------------------------------------------------------------------


def test_template_list_shows_built_ins_and_own_templates_with_latest_version(
    api, alice, acme_template, amazon_na, evil_template
):
    r = api(alice).get("/orgs/acme/templates", limit=500)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "count"}
    items = {t["id"]: t for t in body["items"]}
    assert (
        body["count"]
        == len(items)
        == Template.objects.filter(organization__isnull=True).count() + 1
    )
    own = items[acme_template.pk]
    assert own["builtin"] is False
    assert own["name"] == "Acme Amazon US"
    assert own["site"] == "amazon-us"
    assert own["latest_version"] == 1
    assert own["published_version"] is None
    builtin = items[amazon_na.pk]
    assert builtin["builtin"] is True
    assert builtin["latest_version"] == builtin["published_version"] == 1
    assert "amazon-ca" in builtin["sites"]
    assert evil_template.pk not in items


def test_template_list_filters_by_site(api, alice, org):
    r = api(alice).get("/orgs/acme/templates", site="lazada-th")
    assert [t["site"] for t in r.json()["items"]] == ["lazada-my"]


def test_template_list_is_paged(api, alice, org):
    everything = api(alice).get("/orgs/acme/templates").json()
    page = api(alice).get("/orgs/acme/templates", limit=2, offset=1).json()
    assert page["count"] == everything["count"]
    assert [t["id"] for t in page["items"]] == [t["id"] for t in everything["items"][1:3]]


def test_template_list_costs_a_bounded_number_of_queries(
    api, alice, as_alice, django_assert_max_num_queries
):
    from linkstar.playbooks.services import create_template

    client = api(alice)
    for i in range(5):
        create_template(actor=as_alice, name=f"T{i}", site="amazon-us")
    with django_assert_max_num_queries(8):
        r = client.get("/orgs/acme/templates", limit=500)
    assert r.json()["count"] >= 17


@pytest.mark.parametrize("user", ["bob", "carol", "dave", "frank"])
def test_every_staff_member_may_read_the_templates(request, api, user, acme_template):
    client = api(request.getfixturevalue(user))
    assert client.get("/orgs/acme/templates").status_code == 200
    r = client.get(f"/orgs/acme/templates/{acme_template.pk}/versions/1")
    assert r.status_code == 200
    assert r.json()["status"] == "draft"


def test_a_client_reads_the_built_in_templates_only(api, grace, acme_template, amazon_na):
    """The organization's own templates are internal (issue 15 §1)."""
    client = api(grace)
    items = client.get("/orgs/acme/templates", limit=500).json()["items"]
    assert amazon_na.pk in {t["id"] for t in items}
    assert acme_template.pk not in {t["id"] for t in items}
    assert client.get(f"/orgs/acme/templates/{amazon_na.pk}/versions/1").status_code == 200
    r = client.get(f"/orgs/acme/templates/{acme_template.pk}/versions/1")
    assert r.status_code == 404


def test_a_template_reads_back_with_its_versions(api, alice, published_acme):
    r = api(alice).get(f"/orgs/acme/templates/{published_acme.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == published_acme.pk
    assert body["latest_version"] == body["published_version"] == 1
    assert [(v["number"], v["status"]) for v in body["versions"]] == [(1, "published")]


def test_a_version_reads_back_with_its_tasks_as_blueprints(api, alice, published_acme):
    r = api(alice).get(f"/orgs/acme/templates/{published_acme.pk}/versions/1")
    assert r.status_code == 200
    body = r.json()
    assert body["number"] == 1
    assert body["status"] == "published"
    assert body["published_at"]
    assert [t["key"] for t in body["tasks"]] == ["prepare", "submit", "open"]
    submit = body["tasks"][1]
    assert submit == {
        **submit,
        "phase": "registration",
        "depends_on": ["prepare"],
        "approval_levels": 1,
        "sets_stage": "under_review",
        "role": None,
        "offset_days": 0,
        "duration_days": 1,
        "document_types": [],
        "checklist": [],
    }


def test_a_built_in_version_reads_back(api, carol, amazon_na):
    r = api(carol).get(f"/orgs/acme/templates/{amazon_na.pk}/versions/1")
    assert r.status_code == 200
    tasks = r.json()["tasks"]
    assert len(tasks) > 10
    assert sum(t["sets_stage"] == "under_review" for t in tasks) == 1


def test_a_missing_version_is_404(api, alice, acme_template):
    _assert_error(
        api(alice).get(f"/orgs/acme/templates/{acme_template.pk}/versions/9"), 404, "not_found"
    )


def test_a_missing_template_is_404(api, alice, org):
    _assert_error(api(alice).get("/orgs/acme/templates/999999"), 404, "not_found")


# --- isolation ------------------------------------------------------------------------------


def test_another_organizations_template_is_404_on_every_endpoint(
    api, alice, evil_template, blueprint
):
    client = api(alice)
    base = f"/orgs/acme/templates/{evil_template.pk}"
    before = _state(evil_template.pk)
    responses = [
        client.get(base),
        client.get(f"{base}/versions/1"),
        client.put(f"{base}/versions/1", {"tasks": [blueprint("x")]}),
        client.post(f"{base}/versions/1/publish"),
        client.post(f"{base}/versions/1/retire"),
        client.post(f"{base}/versions"),
        client.post("/orgs/acme/templates", {"name": "Stolen", "clone_from": evil_template.pk}),
    ]
    for r in responses:
        _assert_error(r, 404, "not_found")
    assert _state(evil_template.pk) == before
    assert not Template.objects.filter(organization__slug="acme").exists()


def test_mallory_cannot_reach_acme_through_her_own_token(api, mallory, acme_template):
    client = api(mallory)
    _assert_error(client.get("/orgs/acme/templates"), 404, "not_found")
    _assert_error(client.get(f"/orgs/evil/templates/{acme_template.pk}"), 404, "not_found")
    listed = {t["id"] for t in client.get("/orgs/evil/templates", limit=500).json()["items"]}
    assert acme_template.pk not in listed


def test_templates_need_a_token(api, org):
    _assert_error(api().get("/orgs/acme/templates"), 401, "unauthenticated")
    _assert_error(
        api(token="not-a-token").post("/orgs/acme/templates", {"name": "x"}), 401, "unauthenticated"
    )


# --- create and clone -----------------------------------------------------------------------


def test_admin_creates_a_template_and_gets_201_with_a_draft_version_1(api, alice, org):
    r = api(alice).post("/orgs/acme/templates", {"name": "Acme DE", "site": "amazon-de"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "name", "site", "builtin", "latest_version"} <= set(body)
    assert (body["name"], body["site"], body["builtin"], body["latest_version"]) == (
        "Acme DE",
        "amazon-de",
        False,
        1,
    )
    assert _state(body["id"]) == [(1, "draft", 1, [])]
    assert AuditEvent.objects.filter(
        organization=org, action="template.created", object_id=str(body["id"])
    ).exists()


@pytest.mark.parametrize("user", ["bob", "carol", "dave", "frank", "grace"])
def test_only_an_admin_may_create_a_template(request, api, user, amazon_na, audit_actions):
    client = api(request.getfixturevalue(user))
    actions = audit_actions()
    r = client.post("/orgs/acme/templates", {"name": "Mine", "site": "amazon-us"})
    _assert_error(r, 403, "permission_denied")
    r = client.post("/orgs/acme/templates", {"name": "Mine", "clone_from": amazon_na.pk})
    _assert_error(r, 403, "permission_denied")
    assert not Template.objects.filter(organization__isnull=False).exists()
    assert audit_actions() == actions


def test_creating_a_template_with_bad_input_is_422_naming_the_field(api, alice, audit_actions):
    client = api(alice)
    actions = audit_actions()
    body = _assert_error(
        client.post("/orgs/acme/templates", {"name": "X", "site": "nowhere"}), 422, "invalid"
    )
    assert [e["field"] for e in body["errors"]] == ["site"]
    body = _assert_error(client.post("/orgs/acme/templates", {"site": "amazon-us"}), 422, "invalid")
    assert [e["field"] for e in body["errors"]] == ["name"]
    body = _assert_error(client.post("/orgs/acme/templates", {"name": "No site"}), 422, "invalid")
    assert [e["field"] for e in body["errors"]] == ["site"]
    assert not Template.objects.filter(organization__isnull=False).exists()
    assert audit_actions() == actions


def test_cloning_a_built_in_copies_its_tasks_and_leaves_the_built_in_unchanged(
    api, alice, amazon_na, org
):
    client = api(alice)
    original = client.get(f"/orgs/acme/templates/{amazon_na.pk}/versions/1").json()
    before = _state(amazon_na.pk)
    r = client.post("/orgs/acme/templates", {"name": "Acme 北美", "clone_from": amazon_na.pk})
    assert r.status_code == 201, r.content
    clone = r.json()
    assert clone["builtin"] is False
    assert clone["cloned_from"] == amazon_na.pk
    assert clone["site"] == "amazon-us"
    assert clone["latest_version"] == 1
    assert clone["published_version"] is None
    copy = client.get(f"/orgs/acme/templates/{clone['id']}/versions/1").json()
    assert copy["status"] == "draft"
    assert copy["tasks"] == original["tasks"]
    assert _state(amazon_na.pk) == before
    assert AuditEvent.objects.filter(
        organization=org, action="template.cloned", object_id=str(clone["id"])
    ).exists()


def test_cloning_an_unknown_template_is_404(api, alice, org):
    r = api(alice).post("/orgs/acme/templates", {"name": "X", "clone_from": 987654})
    _assert_error(r, 404, "not_found")


# --- saving a draft -------------------------------------------------------------------------


def test_put_replaces_a_drafts_tasks_and_bumps_its_version(
    api, alice, acme_template, three_tasks, org
):
    url = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    client = api(alice)
    r = client.put(url, {"tasks": three_tasks, "version": 1})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["version"] == 2
    assert body["status"] == "draft"
    assert [t["key"] for t in body["tasks"]] == ["prepare", "submit", "open"]
    assert client.get(url).json()["tasks"] == body["tasks"]
    r = client.put(url, {"tasks": three_tasks[:1]})  # no version: last write wins
    assert r.status_code == 200
    assert r.json()["version"] == 3
    assert _state(acme_template.pk) == [(1, "draft", 3, ["prepare"])]
    assert AuditEvent.objects.filter(organization=org, action="template.draft_saved").count() == 2


def test_put_with_a_stale_version_is_409_and_changes_nothing(
    api, alice, acme_template, three_tasks, blueprint, audit_actions
):
    url = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    client = api(alice)
    assert client.put(url, {"tasks": three_tasks, "version": 1}).status_code == 200
    before, actions = _state(acme_template.pk), audit_actions()
    r = client.put(url, {"tasks": [blueprint("mine")], "version": 1})
    _assert_error(r, 409, "stale_version")
    assert _state(acme_template.pk) == before
    assert audit_actions() == actions


def test_put_on_a_published_version_is_409(api, alice, published_acme, blueprint, audit_actions):
    before, actions = _state(published_acme.pk), audit_actions()
    r = api(alice).put(
        f"/orgs/acme/templates/{published_acme.pk}/versions/1", {"tasks": [blueprint("x")]}
    )
    _assert_error(r, 409, "version_not_draft")
    assert _state(published_acme.pk) == before
    assert audit_actions() == actions


def test_put_with_bad_fields_is_422_naming_the_task_and_changes_nothing(
    api, alice, acme_template, three_tasks, blueprint, audit_actions
):
    url = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    client = api(alice)
    client.put(url, {"tasks": three_tasks})
    before, actions = _state(acme_template.pk), audit_actions()
    tasks = [*three_tasks, blueprint("weird", role="janitor", document_types=["selfie"])]
    body = _assert_error(client.put(url, {"tasks": tasks}), 422, "invalid")
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["tasks[3] (weird).role", "tasks[3] (weird).document_types"]
    assert all(e["message"] for e in body["errors"])
    assert _state(acme_template.pk) == before
    assert audit_actions() == actions


def test_put_with_a_malformed_body_is_422(api, alice, acme_template):
    url = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    body = _assert_error(api(alice).put(url, {"tasks": [{"title": "no key"}]}), 422, "invalid")
    assert body["errors"] and all("field" in e for e in body["errors"])
    assert _state(acme_template.pk) == [(1, "draft", 1, [])]


@pytest.mark.parametrize("user", ["bob", "carol", "dave", "frank"])
def test_only_an_admin_may_save_a_draft(request, api, user, acme_template, three_tasks):
    r = api(request.getfixturevalue(user)).put(
        f"/orgs/acme/templates/{acme_template.pk}/versions/1", {"tasks": three_tasks}
    )
    _assert_error(r, 403, "permission_denied")
    assert _state(acme_template.pk) == [(1, "draft", 1, [])]


def test_put_and_publish_on_a_built_in_are_403_builtin_readonly(
    api, alice, amazon_na, blueprint, audit_actions
):
    client = api(alice)
    base = f"/orgs/acme/templates/{amazon_na.pk}"
    before, actions = _state(amazon_na.pk), audit_actions()
    for r in (
        client.put(f"{base}/versions/1", {"tasks": [blueprint("x")]}),
        client.post(f"{base}/versions/1/publish"),
        client.post(f"{base}/versions/1/retire"),
        client.post(f"{base}/versions"),
    ):
        _assert_error(r, 403, "builtin_readonly")
    assert _state(amazon_na.pk) == before
    assert audit_actions() == actions


# --- publishing -----------------------------------------------------------------------------


def test_publish_answers_the_published_version(api, alice, acme_template, three_tasks, org):
    client = api(alice)
    base = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    client.put(base, {"tasks": three_tasks})
    r = client.post(f"{base}/publish")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "published"
    assert body["published_at"]
    assert [t["key"] for t in body["tasks"]] == ["prepare", "submit", "open"]
    listed = {t["id"]: t for t in client.get("/orgs/acme/templates", limit=500).json()["items"]}
    assert listed[acme_template.pk]["published_version"] == 1
    assert AuditEvent.objects.filter(organization=org, action="template.published").count() == 1


def test_publishing_refuses_a_dependency_cycle_with_422_naming_the_task(
    api, alice, acme_template, blueprint, audit_actions
):
    client = api(alice)
    base = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    tasks = [
        blueprint("collect"),
        blueprint("check", depends_on=["collect"]),
        blueprint("submit", depends_on=["check", "follow-up"]),
        blueprint("follow-up", depends_on=["submit"]),
    ]
    assert client.put(base, {"tasks": tasks}).status_code == 200
    before, actions = _state(acme_template.pk), audit_actions()
    body = _assert_error(client.post(f"{base}/publish"), 422, "invalid_template")
    [error] = body["errors"]
    assert set(error) >= {"field", "message"}
    assert "tasks[2]" in error["field"] and "submit" in error["field"]
    assert "submit" in error["message"] and "follow-up" in error["message"]
    assert "tasks[2]" in body["detail"]
    assert _state(acme_template.pk) == before
    assert audit_actions() == actions


@pytest.mark.parametrize(
    ("tasks", "field"),
    [
        ([{"key": "a"}, {"key": "b", "depends_on": ["nope"]}], "tasks[1] (b).depends_on"),
        ([{"key": "a"}, {"key": "b"}, {"key": "a"}], "tasks[2] (a).key"),
        ([{"key": "a"}, {"key": "b", "duration_days": -1}], "tasks[1] (b).duration_days"),
    ],
    ids=["unknown-dependency", "duplicate-key", "negative-duration"],
)
def test_publishing_refuses_a_broken_plan_with_422(
    api, alice, acme_template, blueprint, tasks, field
):
    client = api(alice)
    base = f"/orgs/acme/templates/{acme_template.pk}/versions/1"
    assert client.put(base, {"tasks": [blueprint(**t) for t in tasks]}).status_code == 200
    body = _assert_error(client.post(f"{base}/publish"), 422, "invalid_template")
    assert [e["field"] for e in body["errors"]] == [field]
    assert client.get(base).json()["status"] == "draft"


def test_publishing_twice_is_409(api, alice, published_acme, audit_actions):
    actions = audit_actions()
    r = api(alice).post(f"/orgs/acme/templates/{published_acme.pk}/versions/1/publish")
    _assert_error(r, 409, "transition_not_allowed")
    assert audit_actions() == actions


@pytest.mark.parametrize("user", ["bob", "carol"])
def test_only_an_admin_may_publish(request, api, user, as_alice, acme_template, three_tasks):
    replace_draft_tasks(actor=as_alice, version=acme_template.versions.get(), tasks=three_tasks)
    r = api(request.getfixturevalue(user)).post(
        f"/orgs/acme/templates/{acme_template.pk}/versions/1/publish"
    )
    _assert_error(r, 403, "permission_denied")
    assert _state(acme_template.pk)[0][1] == "draft"


# --- new drafts and retiring ----------------------------------------------------------------


def test_a_new_draft_is_201_with_the_latest_versions_tasks(api, alice, published_acme, org):
    client = api(alice)
    r = client.post(f"/orgs/acme/templates/{published_acme.pk}/versions")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["number"], body["status"]) == (2, "draft")
    v1 = client.get(f"/orgs/acme/templates/{published_acme.pk}/versions/1").json()
    assert body["tasks"] == v1["tasks"]
    assert v1["status"] == "published"
    listed = {t["id"]: t for t in client.get("/orgs/acme/templates", limit=500).json()["items"]}
    assert (
        listed[published_acme.pk]["latest_version"],
        listed[published_acme.pk]["published_version"],
    ) == (2, 1)
    assert AuditEvent.objects.filter(organization=org, action="template.version_created").exists()


def test_a_second_draft_while_one_exists_is_409(api, alice, published_acme, audit_actions):
    client = api(alice)
    assert client.post(f"/orgs/acme/templates/{published_acme.pk}/versions").status_code == 201
    before, actions = _state(published_acme.pk), audit_actions()
    r = client.post(f"/orgs/acme/templates/{published_acme.pk}/versions")
    _assert_error(r, 409, "draft_exists")
    assert _state(published_acme.pk) == before
    assert audit_actions() == actions


def test_retire_answers_the_retired_version(api, alice, published_acme, org):
    client = api(alice)
    r = client.post(f"/orgs/acme/templates/{published_acme.pk}/versions/1/retire")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "retired"
    _assert_error(
        client.post(f"/orgs/acme/templates/{published_acme.pk}/versions/1/retire"),
        409,
        "transition_not_allowed",
    )
    assert AuditEvent.objects.filter(organization=org, action="template.retired").count() == 1


@pytest.mark.parametrize("user", ["bob", "frank"])
def test_only_an_admin_may_start_a_draft_or_retire(request, api, user, published_acme):
    client = api(request.getfixturevalue(user))
    base = f"/orgs/acme/templates/{published_acme.pk}"
    _assert_error(client.post(f"{base}/versions"), 403, "permission_denied")
    _assert_error(client.post(f"{base}/versions/1/retire"), 403, "permission_denied")
    assert _state(published_acme.pk) == [(1, "published", 3, ["prepare", "submit", "open"])]


def test_a_project_can_start_from_a_template_published_through_the_api(
    api, alice, bob, entity, amazon_na
):
    admin = api(alice)
    clone = admin.post("/orgs/acme/templates", {"name": "Acme 北美", "clone_from": amazon_na.pk})
    template_id = clone.json()["id"]
    assert admin.post(f"/orgs/acme/templates/{template_id}/versions/1/publish").status_code == 200
    r = api(bob).post(
        "/orgs/acme/projects",
        {"template_id": template_id, "store_name": "From clone", "entity_id": entity.pk},
    )
    assert r.status_code == 201, r.content
    assert r.json()["template"] == {"id": template_id, "version": 1, "newer_version": None}
