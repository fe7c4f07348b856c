"""GET/POST /orgs/{org}/projects/{id}/upgrade: the preview and the upgrade, as a client sees them."""

from __future__ import annotations

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.projects.models import StoreProject, Task
from tests.support.seed import MINI_TASKS, NEW_TASK, changed_mini_tasks, publish_next


@pytest.fixture
def v2(as_alice, mini_template):
    tasks = changed_mini_tasks(check={"title": "Check the pack twice"}, announce=None)
    tasks.insert(2, NEW_TASK)
    return publish_next(as_alice, mini_template, tasks)


def _url(project) -> str:
    return f"/orgs/acme/projects/{project.pk}/upgrade"


def test_the_preview_lists_each_kind_of_change_and_writes_nothing(api, bob, mini_project, v2):
    events = AuditEvent.objects.count()
    r = api(bob).get(_url(mini_project), version=2)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["project_id"], body["from_version"], body["to_version"]) == (
        mini_project.pk,
        1,
        2,
    )
    assert body["template_id"] == mini_project.template_version.template_id
    assert [t["key"] for t in body["added"]] == ["tax-interview"]
    assert body["added"][0]["status"] is None
    assert [t["key"] for t in body["skipped"]] == ["announce"]
    assert body["skipped"][0]["status"] == "todo"
    (updated,) = body["updated"]
    assert updated["key"] == "check"
    assert updated["changes"] == [
        {"field": "title", "before": "Check the pack", "after": "Check the pack twice"}
    ]
    assert body["kept"] == []
    assert AuditEvent.objects.count() == events


def test_the_preview_defaults_to_the_newest_published_version(api, bob, mini_project, v2):
    r = api(bob).get(_url(mini_project))
    assert r.status_code == 200
    assert r.json()["to_version"] == 2


def test_a_project_on_an_older_version_says_a_newer_one_exists(api, bob, mini_project, v2):
    answer = api(bob).get(f"/orgs/acme/projects/{mini_project.pk}").json()
    assert answer["template"] == {"id": v2.template_id, "version": 1, "newer_version": 2}
    listed = api(bob).get("/orgs/acme/projects").json()["items"]
    assert [p["template"]["newer_version"] for p in listed if p["id"] == mini_project.pk] == [2]


def test_the_upgrade_answers_with_the_project_on_the_new_version(api, bob, mini_project, v2):
    r = api(bob).post(_url(mini_project), {"version": 2, "project_version": 1})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == mini_project.pk
    assert body["template"] == {"id": v2.template_id, "version": 2, "newer_version": None}
    assert body["task_count"] == 6
    assert body["finished_task_count"] == 1
    assert body["version"] == 2
    assert Task.objects.get(project=mini_project, key="announce").status == "skipped"
    assert AuditEvent.objects.filter(action="project.upgraded").count() == 1


def test_a_stale_project_version_is_409(api, bob, mini_project, v2):
    r = api(bob).post(_url(mini_project), {"version": 2, "project_version": 9})
    assert r.status_code == 409
    assert r.json()["code"] == "stale_version"
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1


@pytest.mark.parametrize("number", [1, 42])
def test_a_version_that_is_not_newer_or_unknown_is_422_naming_the_field(
    api, bob, mini_project, v2, number
):
    r = api(bob).post(_url(mini_project), {"version": number})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid"
    assert body["errors"][0]["field"] == "version"
    r = api(bob).get(_url(mini_project), version=number)
    assert r.status_code == 422


def test_a_draft_version_is_refused(api, as_alice, bob, mini_project, v2):
    from linkstar.playbooks.services import create_draft_version

    create_draft_version(actor=as_alice, template=v2.template)
    r = api(bob).post(_url(mini_project), {"version": 3})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "version"


def test_a_missing_version_in_the_body_is_422(api, bob, mini_project, v2):
    r = api(bob).post(_url(mini_project), {})
    assert r.status_code == 422


@pytest.mark.parametrize("who", ["carol", "dave", "frank"])
def test_roles_other_than_the_manager_or_an_admin_get_403(request, api, who, mini_project, v2):
    client = api(request.getfixturevalue(who))
    assert client.get(_url(mini_project)).status_code == 403
    r = client.post(_url(mini_project), {"version": 2})
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1


def test_another_organizations_member_gets_404(api, mallory, mini_project, v2):
    client = api(mallory)
    for url in (_url(mini_project), f"/orgs/evil/projects/{mini_project.pk}/upgrade"):
        assert client.get(url).status_code == 404
        r = client.post(url, {"version": 2})
        assert r.status_code == 404
        assert "Mini" not in r.content.decode()
    assert StoreProject.objects.get(pk=mini_project.pk).template_version.number == 1


def test_an_admin_upgrades_too(api, alice, mini_project, v2):
    r = api(alice).post(_url(mini_project), {"version": 2})
    assert r.status_code == 200


def test_the_preview_costs_the_same_for_a_small_and_a_big_plan(
    api, bob, as_alice, mini_project, v2, django_assert_max_num_queries
):
    from linkstar.playbooks.services import create_template, publish_version, replace_draft_tasks
    from linkstar.projects.services import create_project

    many = [
        {**MINI_TASKS[0], "key": f"step-{i}", "depends_on": [f"step-{i - 1}"] if i else []}
        for i in range(60)
    ]
    big = create_template(actor=as_alice, name="Big", site="amazon-us")
    replace_draft_tasks(actor=as_alice, version=big.versions.get(number=1), tasks=many)
    publish_version(actor=as_alice, version=big.versions.get(number=1))
    from tests.support.seed import actor_of

    as_bob = actor_of(mini_project.organization, bob)
    project = create_project(
        actor=as_bob, template_id=big.pk, store_name="Big Shop", entity_id=mini_project.entity_id
    )
    publish_next(as_alice, big, [{**t, "title": t["title"] + "!"} for t in many[:50]])
    client = api(bob)
    with django_assert_max_num_queries(12):
        r = client.get(_url(project))
    assert r.status_code == 200
    assert len(r.json()["updated"]) == 50 and len(r.json()["skipped"]) == 10
