"""Document requests in the exports and in the project archive (issue 15 §2)."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from linkstar.archives.services import build_archive, request_archive
from linkstar.docrequests.services import review_upload, upload_to_item
from tests.support.archives import read_zip, stored_bytes
from tests.support.clients import ApiClient
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence
from tests.support.seed import actor_of

pytestmark = pytest.mark.usefixtures("on_project_start")


@pytest.fixture
def request_with_history(org, entity, as_carol, mini_project):
    hana = actor_of(org, client_of_entity(org, entity))
    request = ask(as_carol, mini_project, "business_license", "bank_statement")
    item = request.items.get(document_type__code="business_license")
    upload = upload_to_item(actor=hana, item=item, file=licence())
    review_upload(actor=as_carol, upload=upload, decision="reject", reason="看不清")
    return request


def test_the_export_has_one_row_per_requested_document(carol, grace, request_with_history):
    answer = ApiClient(carol).get("/orgs/acme/exports/document-requests.xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 3  # the header and two items
    header = rows[0]
    reason_of = {row[8]: (row[11] if len(row) > 11 else None) for row in rows[1:]}
    assert reason_of == {"营业执照": "看不清", "银行对账单": None}
    assert header[8] == "资料" and header[11] == "退回原因"
    # a client of another entity exports nothing of this request
    other = ApiClient(grace).get("/orgs/acme/exports/document-requests.csv")
    text = b"".join(other.streaming_content).decode("utf-8-sig")
    assert text.count("\n") == 1 and "看不清" not in text


def test_the_archive_holds_the_requests(as_bob, request_with_history, mini_project):
    job = build_archive(job_id=request_archive(actor=as_bob, project_ids=[mini_project.pk]).pk)
    archive = read_zip(stored_bytes(job))
    folder = mini_project.code
    rows = archive.read(f"{folder}/document_requests.csv").decode("utf-8-sig").splitlines()
    assert rows[0].startswith("request_id,") and len(rows) == 3
    assert any("rejected" in r and "看不清" in r for r in rows)
    data = json.loads(archive.read(f"{folder}/project.json"))
    (request,) = data["document_requests"]
    statuses = {i["document_type"]: i["status"] for i in request["items"]}
    assert statuses == {"business_license": "rejected", "bank_statement": "waiting"}
    assert request["items"][0]["uploads"][0]["reason"] == "看不清"
