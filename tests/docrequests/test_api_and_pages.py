"""Document requests in the API and on the pages (issue 15 §2)."""

from __future__ import annotations

import re

import pytest

from linkstar.docrequests.models import DocumentRequest, ItemStatus
from linkstar.projects.models import Stage, StoreProject, Task
from tests.support.assertions import assert_error
from tests.support.clients import ApiClient, client_for
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence

pytestmark = pytest.mark.usefixtures("on_project_start")


@pytest.fixture
def hana(org, entity):
    return client_of_entity(org, entity)


def test_the_whole_flow_through_the_api(carol, hana, grace, mini_project):
    staff, client = ApiClient(carol), ApiClient(hana)
    created = staff.post(
        "/orgs/acme/document-requests",
        {
            "project_id": mini_project.pk,
            "due_date": "2026-11-09",
            "message": "平台要求补料",
            "items": [{"document_type": "business_license", "note": "彩色扫描件"}],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "open" and body["items"][0]["status"] == "waiting"
    assert body["items"][0]["note"] == "彩色扫描件"
    rid, iid = body["id"], body["items"][0]["id"]
    assert client.get("/orgs/acme/document-requests").json()["count"] == 1
    assert ApiClient(grace).get("/orgs/acme/document-requests").json()["count"] == 0
    assert_error(ApiClient(grace).get(f"/orgs/acme/document-requests/{rid}"), 404)

    uploaded = client.client.post(
        f"/api/v1/orgs/acme/document-requests/{rid}/items/{iid}/uploads",
        {"file": licence(), "expiry_date": "2030-01-01"},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert uploaded.status_code == 201, uploaded.content
    upload_id = uploaded.json()["id"]
    assert uploaded.json()["status"] == "pending"
    download = client.client.get(
        uploaded.json()["download_url"], HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert download.status_code == 200 and b"".join(download.streaming_content)[:4] == b"%PDF"

    assert_error(
        client.post(
            f"/orgs/acme/document-requests/{rid}/uploads/{upload_id}/review",
            {"decision": "accept"},
        ),
        403,
    )
    reviewed = staff.post(
        f"/orgs/acme/document-requests/{rid}/uploads/{upload_id}/review", {"decision": "accept"}
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "done"
    assert reviewed.json()["items"][0]["document_id"] is not None


def test_bad_input_is_422_naming_the_field(carol, mini_project):
    staff = ApiClient(carol)
    answer = staff.post(
        "/orgs/acme/document-requests",
        {
            "project_id": mini_project.pk,
            "due_date": "2026-11-09",
            "items": [{"document_type": "x"}],
        },
    )
    body = assert_error(answer, 422)
    assert body["errors"][0]["field"] == "items[0].document_type"
    assert not DocumentRequest.objects.exists()


def test_links_through_the_api(carol, hana, mini_project, as_carol):
    request = ask(as_carol, mini_project)
    staff = ApiClient(carol)
    made = staff.post(f"/orgs/acme/document-requests/{request.pk}/links", {"days": 3})
    assert made.status_code == 201
    assert made.json()["url"].endswith(f"/r/{made.json()['token']}/")
    listed = staff.get(f"/orgs/acme/document-requests/{request.pk}/links").json()
    assert listed["count"] == 1 and "token" not in listed["items"][0]
    assert_error(ApiClient(hana).get(f"/orgs/acme/document-requests/{request.pk}/links"), 403)
    revoked = staff.delete(f"/orgs/acme/document-requests/{request.pk}/links/{made.json()['id']}")
    assert revoked.status_code == 204
    assert (
        staff.get(f"/orgs/acme/document-requests/{request.pk}/links").json()["items"][0]["active"]
        is False
    )


def test_suggestions_come_from_the_readiness_gaps(carol, mini_project):
    Task.objects.filter(project=mini_project, key="collect").update(
        document_types=["business_license", "bank_statement"]
    )
    answer = ApiClient(carol).get(
        f"/orgs/acme/projects/{mini_project.pk}/document-requests/suggested"
    )
    assert [i["document_type"] for i in answer.json()["items"]] == [
        "business_license",
        "bank_statement",
    ]


def test_one_click_from_a_project_in_needs_info_prefills_the_gaps(carol, bob, mini_project):
    Task.objects.filter(project=mini_project, key="collect").update(
        document_types=["business_license"]
    )
    StoreProject.objects.filter(pk=mini_project.pk).update(stage=Stage.NEEDS_INFO)
    page = client_for(bob).get(f"/o/acme/projects/{mini_project.pk}/").content.decode()
    card_url = f"/o/acme/projects/{mini_project.pk}/requests/card/"
    assert card_url in page
    card = client_for(bob).get(card_url).content.decode()
    new_url = f"/o/acme/projects/{mini_project.pk}/requests/new/"
    assert new_url in card and "btn-warning" in card
    form = client_for(bob).get(new_url).content.decode()
    assert 'value="business_license" selected' in form and 'id="prefilled"' in form
    sent = client_for(bob).post(
        new_url,
        {
            "rows": "1",
            "item-0-on": "1",
            "item-0-type": "business_license",
            "item-0-note": "",
            "due_date": "2026-11-05",
        },
    )
    assert sent.status_code == 302
    request = DocumentRequest.objects.get()
    assert sent["Location"] == f"/o/acme/requests/{request.pk}/"


def test_the_client_uploads_and_the_team_reviews_on_the_pages(as_carol, carol, hana, mini_project):
    request = ask(as_carol, mini_project, "business_license")
    item = request.items.get()
    browser = client_for(hana)
    page = browser.get(f"/o/acme/requests/{request.pk}/").content.decode()
    assert "ls-upload-form" in page and "ls-review-form" not in page and 'id="links"' not in page
    browser.post(f"/o/acme/requests/{request.pk}/items/{item.pk}/upload/", {"file": licence()})
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    team = client_for(carol)
    page = team.get(f"/o/acme/requests/{request.pk}/").content.decode()
    assert "ls-review-form" in page and 'id="links"' in page
    upload = item.uploads.get()
    team.post(
        f"/o/acme/requests/{request.pk}/uploads/{upload.pk}/review/",
        {"decision": "reject", "reason": "不清晰"},
    )
    item.refresh_from_db()
    assert (item.status, item.reason) == (ItemStatus.REJECTED, "不清晰")
    assert "不清晰" in browser.get(f"/o/acme/requests/{request.pk}/").content.decode()


def test_the_list_costs_a_fixed_number_of_queries(
    as_carol, carol, mini_project, django_assert_max_num_queries
):
    for _ in range(3):
        ask(as_carol, mini_project)
    browser = client_for(carol)
    browser.get("/o/acme/requests/")
    with django_assert_max_num_queries(16):
        small = browser.get("/o/acme/requests/")
    for _ in range(12):
        ask(as_carol, mini_project, "passport", "business_license")
    with django_assert_max_num_queries(16):
        large = browser.get("/o/acme/requests/")
    assert small.status_code == large.status_code == 200
    assert (
        large.content.decode().count('ls-request"') + large.content.decode().count("ls-request ")
        >= 15
    )


def test_the_workbench_shows_overdue_requests_and_uploads_to_review(
    as_carol, carol, hana, mini_project, org
):
    import datetime as dt

    from linkstar.core import clock
    from linkstar.docrequests.services import upload_to_item
    from tests.support.seed import actor_of

    late = ask(as_carol, mini_project, "passport", due=mini_project.start_date)
    waiting = ask(as_carol, mini_project, "business_license")
    upload_to_item(actor=actor_of(org, hana), item=waiting.items.get(), file=licence())
    quiet = ask(as_carol, mini_project, "bank_statement")
    with clock.travel(dt.timedelta(days=1)):
        card = client_for(carol).get("/o/acme/requests/attention/").content.decode()
    shown = [int(x) for x in re.findall(r'ls-attention" data-request-id="(\d+)"', card)]
    assert shown == [waiting.pk, late.pk] and quiet.pk not in shown
    assert "/o/acme/requests/attention/" in client_for(carol).get("/o/acme/").content.decode()


def test_open_requests_come_first_the_most_urgent_first(as_carol, carol, mini_project):
    import datetime as dt

    from linkstar.docrequests.services import cancel_request

    start = mini_project.start_date
    later = ask(as_carol, mini_project, "passport", due=start + dt.timedelta(days=9))
    closed = ask(as_carol, mini_project, "bank_statement", due=start + dt.timedelta(days=1))
    cancel_request(actor=as_carol, request=closed)
    sooner = ask(as_carol, mini_project, "business_license", due=start + dt.timedelta(days=3))
    listed = ApiClient(carol).get("/orgs/acme/document-requests").json()["items"]
    assert [r["id"] for r in listed] == [sooner.pk, later.pk, closed.pk]
