"""``Idempotency-Key`` on creating endpoints: a retried request answers the first response and
creates nothing twice; the same key for another request is refused; a duplicate arriving while
the first is still being answered gets 409; keys expire."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.test import Client
from django.test.client import encode_multipart

from linkstar.accounts.services import issue_token
from linkstar.core import clock
from linkstar.documents.models import Document
from linkstar.projects.models import StoreProject
from linkstar.worker.models import IdempotencyRecord
from tests.support.files import pdf_bytes

pytestmark = pytest.mark.django_db


def _post(token: str, path: str, body: dict, key: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return Client().post(
        "/api/v1" + path, data=json.dumps(body), content_type="application/json", **headers
    )


def _batch(amazon_na, entity, *names: str) -> dict:
    return {
        "template_id": amazon_na.pk,
        "start_date": "2026-11-09",
        "rows": [{"store_name": n, "entity_id": entity.pk} for n in names],
    }


@pytest.fixture
def bob_token(bob):
    return issue_token(user=bob, name="erp")[1]


def test_a_retried_batch_creation_creates_once_and_answers_the_same(
    org, bob_token, amazon_na, entity
):
    body = _batch(amazon_na, entity, "Retry One", "Retry Two")
    before = StoreProject.objects.count()
    first = _post(bob_token, "/orgs/acme/projects/batch", body, key="batch-2026-11-09-a")
    assert first.status_code == 201, first.content
    assert StoreProject.objects.count() == before + 2
    again = _post(bob_token, "/orgs/acme/projects/batch", body, key="batch-2026-11-09-a")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert StoreProject.objects.count() == before + 2


def test_the_same_key_with_a_different_body_is_refused(org, bob_token, amazon_na, entity):
    _post(bob_token, "/orgs/acme/projects/batch", _batch(amazon_na, entity, "A"), key="k-1")
    before = StoreProject.objects.count()
    r = _post(bob_token, "/orgs/acme/projects/batch", _batch(amazon_na, entity, "B"), key="k-1")
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert StoreProject.objects.count() == before


def test_json_key_order_does_not_make_a_different_request(org, bob_token, amazon_na, entity):
    body = _batch(amazon_na, entity, "Ordered")
    reordered = dict(reversed(list(body.items())))
    assert _post(bob_token, "/orgs/acme/projects/batch", body, key="k-o").status_code == 201
    r = _post(bob_token, "/orgs/acme/projects/batch", reordered, key="k-o")
    assert r.status_code == 201 and r["Idempotent-Replayed"] == "true"


def test_keys_belong_to_their_caller(org, bob_token, alice, project):
    alice_token = issue_token(user=alice, name="a")[1]
    path = f"/orgs/acme/projects/{project.pk}/comments"
    body = {"body": "Licence uploaded"}
    assert _post(bob_token, path, body, key="same").status_code == 201
    r = _post(alice_token, path, body, key="same")
    assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")
    assert project.comments.count() == 2
    # without a key, the same request creates again (the header is what makes it idempotent)
    assert _post(bob_token, path, body).status_code == 201
    assert project.comments.count() == 3


def test_a_duplicate_while_the_first_is_in_flight_gets_409(org, bob, bob_token, amazon_na, entity):
    body = _batch(amazon_na, entity, "In Flight")
    path = "/orgs/acme/projects/batch"
    first = _post(bob_token, path, body, key="inflight")
    record = IdempotencyRecord.objects.get(key="inflight")
    # As if the first request were still being answered by another web process:
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=None, created_at=clock.now())
    before = StoreProject.objects.count()
    r = _post(bob_token, path, body, key="inflight")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"
    assert StoreProject.objects.count() == before
    assert first.status_code == 201


def test_a_key_abandoned_in_flight_is_taken_over_after_the_lock_time(
    org, bob, bob_token, amazon_na, entity
):
    body = _batch(amazon_na, entity, "Abandoned")
    path = "/orgs/acme/projects/batch"
    _post(bob_token, path, body, key="crashed")
    record = IdempotencyRecord.objects.get(key="crashed")
    StoreProject.objects.filter(store_name="Abandoned").delete()  # the crash lost the work
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=None)
    with clock.travel(minutes=6):
        r = _post(bob_token, path, body, key="crashed")
    assert r.status_code == 201
    assert StoreProject.objects.filter(store_name="Abandoned").count() == 1


def test_keys_expire_after_the_ttl(org, bob_token, project, settings):
    settings.LINKSTAR_IDEMPOTENCY_TTL_HOURS = 24
    path = f"/orgs/acme/projects/{project.pk}/comments"
    body = {"body": "Submitted to Seller Central"}
    _post(bob_token, path, body, key="day-old")
    with clock.travel(hours=23):
        assert _post(bob_token, path, body, key="day-old")["Idempotent-Replayed"] == "true"
    with clock.travel(hours=25):
        r = _post(bob_token, path, body, key="day-old")
        assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")
    assert project.comments.count() == 2


def test_an_error_answer_is_replayed_too_but_a_conflict_is_not(org, bob_token, carol):
    carol_token = issue_token(user=carol, name="c")[1]
    r1 = _post(carol_token, "/orgs/acme/entities", {"name": "Denied Ltd"}, key="denied")
    assert r1.status_code == 403
    r2 = _post(carol_token, "/orgs/acme/entities", {"name": "Denied Ltd"}, key="denied")
    assert r2.status_code == 403 and r2["Idempotent-Replayed"] == "true"


def test_a_malformed_key_is_invalid_input(org, bob_token):
    r = _post(bob_token, "/orgs/acme/entities", {"name": "X"}, key="has spaces in it")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_retried_document_upload_stores_one_document_whatever_the_boundary(
    org, bob_token, entity
):
    path = f"/api/v1/orgs/acme/entities/{entity.pk}/documents"
    content = pdf_bytes("licence")

    def upload(boundary: str):
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {
            "document_type": "business_license",
            "file": SimpleUploadedFile("营业执照.pdf", content, "application/pdf"),
        }
        return Client().generic(
            "POST",
            path,
            encode_multipart(boundary, data),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_AUTHORIZATION=f"Bearer {bob_token}",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    before = Document.objects.count()
    first = upload("boundaryAAAA")
    assert first.status_code == 201, first.content
    second = upload("boundaryBBBB")
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert Document.objects.count() == before + 1


# --- through the real HTTP stack --------------------------------------------------------------------


def _http_post(url: str, token: str, body: dict, key: str):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


@pytest.mark.django_db(transaction=True)
def test_retries_over_http_create_once_even_when_sent_at_the_same_time(
    live_server, bob, amazon_na, entity
):
    token = issue_token(user=bob, name="erp")[1]
    url = f"{live_server.url}/api/v1/orgs/acme/projects/batch"
    body = _batch(amazon_na, entity, "Http One", "Http Two", "Http Three")
    answers: list = []
    barrier = threading.Barrier(3)

    def send() -> None:
        barrier.wait(timeout=30)
        answers.append(_http_post(url, token, body, "http-batch-1"))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    statuses = sorted(a[0] for a in answers)
    assert len(answers) == 3 and statuses.count(201) >= 1, answers
    assert set(statuses) <= {201, 409}
    for status, payload, _headers in answers:
        if status == 409:
            assert payload["code"] == "idempotency_in_progress"
    # a later retry replays the stored answer
    status, payload, headers = _http_post(url, token, body, "http-batch-1")
    assert status == 201 and headers.get("Idempotent-Replayed") == "true"
    created = [a[1] for a in answers if a[0] == 201]
    assert all(c == payload for c in created)
    assert StoreProject.objects.filter(store_name__startswith="Http ").count() == 3
