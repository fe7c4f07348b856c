"""Issue 17 §6: numbers of 2^63 or more in query parameters answer 422 naming the parameter (API
and pages), in a path 404 — never a server error."""

from __future__ import annotations

import pytest

from tests.support.clients import ApiClient, client_for

BIG = str(2**63)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/orgs/acme/projects?offset={BIG}", "offset"),
        (f"/orgs/acme/projects?manager={BIG}", "manager"),
        (f"/orgs/acme/projects?entity=-{BIG}", "entity"),
        (f"/orgs/acme/tasks?project={BIG}", "project"),
        (f"/orgs/acme/tasks?assignee={BIG}", "assignee"),
        (f"/orgs/acme/audit?actor={BIG}", "actor"),
        (f"/orgs/acme/document-requests?project={BIG}", "project"),
    ],
)
def test_the_api_answers_422_naming_the_parameter(alice, mini_project, path, field):
    answer = ApiClient(alice).get(path)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "path", [f"/orgs/acme/projects/{BIG}", f"/orgs/acme/tasks/{BIG}", f"/orgs/acme/entities/{BIG}"]
)
def test_a_path_id_too_large_is_not_found(alice, path):
    answer = ApiClient(alice).get(path)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_pages(alice, mini_project):
    browser = client_for(alice)
    assert browser.get(f"/o/acme/tasks/?assignee={BIG}").status_code == 422
    assert browser.get(f"/o/acme/projects/{BIG}/").status_code == 404
    # the largest number the database holds is ordinary input
    assert ApiClient(alice).get(f"/orgs/acme/projects?manager={2**63 - 1}").status_code == 200
    # a search for a long number is a search, not an id
    assert browser.get(f"/o/acme/projects/?q={BIG}{BIG}").status_code == 200
