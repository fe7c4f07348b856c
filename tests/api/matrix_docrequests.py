"""Permission-matrix entries of document requests (补料请求)."""

from __future__ import annotations

import datetime as dt

from tests.support.matrix import NOT_TEAM, Case, Multipart


def _request(w):
    """A request carol asked of the client of bob's project (Xinghe), due in a week."""
    from linkstar.core.clock import org_today
    from linkstar.docrequests.services import open_request

    if not hasattr(w, "_docrequest"):
        w._docrequest = open_request(
            actor=w.actor("carol"),
            project=w.project,
            items=[{"document_type": "business_license"}, {"document_type": "bank_statement"}],
            due_date=org_today(w.org) + dt.timedelta(days=7),
        )
    return w._docrequest


def _request_id(w) -> int:
    return _request(w).pk


def _item_id(w) -> int:
    return _request(w).items.get(document_type__code="business_license").pk


def _upload_id(w) -> int:
    """An upload to the licence item, waiting for review."""
    from linkstar.docrequests.services import upload_to_item
    from tests.support.files import licence

    if not hasattr(w, "_docrequest_upload"):
        item = _request(w).items.get(document_type__code="business_license")
        w._docrequest_upload = upload_to_item(actor=w.actor("carol"), item=item, file=licence())
    return w._docrequest_upload.pk


def _link_id(w) -> int:
    from linkstar.docrequests.services import create_link

    if not hasattr(w, "_docrequest_link"):
        w._docrequest_link, _token = create_link(actor=w.actor("carol"), request=_request(w))
    return w._docrequest_link.pk


def _new_request(w) -> dict:
    from linkstar.core.clock import org_today

    return {
        "project_id": w.project.pk,
        "due_date": (org_today(w.org) + dt.timedelta(days=5)).isoformat(),
        "items": [{"document_type": "passport", "note": "护照首页"}],
    }


def _file(w) -> Multipart:
    from tests.support.files import licence

    return Multipart(file=licence)


IDS = {"request_id": _request_id, "item_id": _item_id, "upload_id": _upload_id}

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/orgs/{org}/document-requests"): Case(
        ok="grace", status=200, ids={"org": lambda w: (_request(w), "acme")[1]}
    ),
    ("POST", "/orgs/{org}/document-requests"): Case(
        ok="carol", status=201, body=_new_request, denied=NOT_TEAM, client_hidden=True
    ),
    ("GET", "/orgs/{org}/projects/{project_id}/document-requests/suggested"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("GET", "/orgs/{org}/document-requests/{request_id}"): Case(
        ok="carol", status=200, client_hidden=True
    ),
    ("POST", "/orgs/{org}/document-requests/{request_id}/cancel"): Case(
        ok="bob", status=200, denied=NOT_TEAM, client_hidden=True, body=lambda w: {"reason": "x"}
    ),
    ("POST", "/orgs/{org}/document-requests/{request_id}/items/{item_id}/uploads"): Case(
        ok="carol", status=201, denied=NOT_TEAM, client_hidden=True, body=_file
    ),
    ("GET", "/orgs/{org}/document-requests/{request_id}/uploads/{upload_id}/file"): Case(
        ok="carol", status=200, client_hidden=True, binary=True
    ),
    ("POST", "/orgs/{org}/document-requests/{request_id}/uploads/{upload_id}/review"): Case(
        ok="bob",
        status=200,
        denied=NOT_TEAM,
        client_hidden=True,
        body=lambda w: {"decision": "reject", "reason": "不清晰"},
    ),
    ("GET", "/orgs/{org}/document-requests/{request_id}/links"): Case(
        ok="carol", status=200, denied=NOT_TEAM, client_hidden=True
    ),
    ("POST", "/orgs/{org}/document-requests/{request_id}/links"): Case(
        ok="carol", status=201, denied=NOT_TEAM, client_hidden=True, body=lambda w: {"days": 3}
    ),
    ("DELETE", "/orgs/{org}/document-requests/{request_id}/links/{link_id}"): Case(
        ok="carol", status=204, denied=NOT_TEAM, client_hidden=True, ids={"link_id": _link_id}
    ),
    ("GET", "/orgs/{org}/exports/document-requests.xlsx"): Case(
        ok="grace", status=200, binary=True
    ),
    ("GET", "/orgs/{org}/exports/document-requests.csv"): Case(ok="carol", status=200, binary=True),
}
