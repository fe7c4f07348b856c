"""Issue 17 §10: an invalid date in a filter answers 422 naming the parameter, on the API and on
the pages — never a 500, never a filter silently dropped."""

from __future__ import annotations

import pytest

from linkstar.core import clock
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient, client_for

BAD_DATES = ("2026-02-30", "2026-13-01", "yesterday", "20260301", "2026-03-01T10:00")
API_DATE_FILTERS = [
    ("/orgs/acme/tasks", "due_before"),
    ("/orgs/acme/tasks", "due_after"),
    ("/orgs/acme/audit", "since"),
    ("/orgs/acme/audit", "until"),
    ("/orgs/acme/reports", "start"),
    ("/orgs/acme/reports", "end"),
]


@pytest.mark.parametrize(("path", "name"), API_DATE_FILTERS)
def test_an_invalid_date_filter_is_a_422_naming_it(alice, org, path, name):
    client = ApiClient(alice)
    for bad in BAD_DATES:
        body = assert_error(client.get(path, **{name: bad}), 422, "invalid")
        assert body["errors"][0]["field"] == name, body
    # a good date (today: a report's start and end fall in either order around it otherwise)
    assert client.get(path, **{name: clock.today().isoformat()}).status_code == 200


@pytest.mark.parametrize("name", ["due_before", "due_after"])
def test_the_task_list_page_says_a_date_filter_is_invalid(alice, project, name):
    page = client_for(alice).get("/o/acme/tasks/", {name: "2026-02-30", "status": "todo"})
    assert page.status_code == 422
    text = page.content.decode()
    assert f"{name}: Enter a date as YYYY-MM-DD." in text
    good = client_for(alice).get("/o/acme/tasks/", {name: "2026-03-01"})
    assert good.status_code == 200
    assert "Enter a date as YYYY-MM-DD." not in good.content.decode()


@pytest.mark.parametrize(
    ("path", "name"),
    [("/o/acme/audit/", "since"), ("/o/acme/audit/", "until"), ("/o/acme/reports/", "start"),
     ("/o/acme/reports/", "end")],
)  # fmt: skip
def test_the_audit_and_report_pages_show_an_invalid_date_on_its_field(alice, org, path, name):
    page = client_for(alice).get(path, {name: "2026-02-30"})
    assert page.status_code == 200
    assert "Enter a valid date." in page.content.decode()
