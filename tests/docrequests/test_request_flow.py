"""Document requests (issue 15 §2): asked by the team, answered by the client, reviewed item by
item into the vault; told to the people concerned; audited."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.audit.models import AuditEvent
from linkstar.compliance.services.readiness import readiness
from linkstar.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from linkstar.delivery.models import Delivery
from linkstar.docrequests import selectors, services
from linkstar.docrequests.models import ItemStatus, RequestStatus, UploadStatus
from linkstar.documents.models import Document
from tests.support.delivery import make_channel
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence, png_bytes, upload
from tests.support.notifications import process_all, told
from tests.support.seed import actor_of

pytestmark = pytest.mark.usefixtures("on_project_start")


@pytest.fixture
def hana(org, entity):
    return client_of_entity(org, entity)


@pytest.fixture
def as_hana(org, hana):
    return actor_of(org, hana)


def _item(request, code):
    fresh = selectors.request_get(
        actor=actor_of(request.organization, request.requested_by), request_id=request.pk
    )
    return next(i for i in fresh.item_list if i.document_type.code == code)


def _upload_of(item):
    return item.upload_list[0]


def test_the_client_is_told_and_the_chat_gets_a_line(as_carol, mini_project, hana, grace, org):
    channel = make_channel(org, kind="wecom", url="http://127.0.0.1:9/robot")
    request = ask(as_carol, mini_project, message="平台要求补充营业执照")
    process_all()
    assert told("request.opened") == {"hana"}  # not grace, a client of another entity
    mail = Delivery.objects.get(kind="email", recipient=hana)
    line = Delivery.objects.get(channel=channel, event__kind="request.opened")
    assert line.summary == mail.summary == f"{mini_project.code}：请补充 2 项资料，2026-11-09 截止"
    assert request.status == RequestStatus.OPEN
    assert [i.document_type.code for i in request.items.all()] == [
        "business_license",
        "bank_statement",
    ]
    event = AuditEvent.objects.get(action="docrequest.opened")
    assert event.changes["items"]["after"][0] == {
        "document_type": "business_license",
        "note": "note business_license",
    }


def test_upload_review_and_the_vault(as_carol, as_bob, as_hana, mini_project, entity, hana):
    request = ask(as_carol, mini_project)
    licence_item = _item(request, "business_license")
    services.upload_to_item(actor=as_hana, item=licence_item, file=licence())
    process_all()
    assert told("request.uploaded") == {"carol", "bob"}
    item = _item(request, "business_license")
    assert item.status == ItemStatus.SUBMITTED
    # nothing reaches the vault before the team accepts
    assert not Document.objects.filter(
        entity=entity, document_type__code="business_license"
    ).exists()

    services.review_upload(actor=as_carol, upload=_upload_of(item), decision="accept")
    item = _item(request, "business_license")
    assert item.status == ItemStatus.ACCEPTED
    doc = Document.objects.get(
        entity=entity, document_type__code="business_license", is_current=True
    )
    assert item.document_id == doc.pk and doc.original_name == "营业执照.pdf"
    assert doc.uploaded_by_id == as_carol.user_id
    process_all()
    assert told("request.reviewed") == {"hana"}

    statement = _item(request, "bank_statement")
    services.upload_to_item(actor=as_hana, item=statement, file=upload("bank.png", png_bytes()))
    with pytest.raises(InvalidInput) as refused:
        services.review_upload(
            actor=as_carol, upload=_upload_of(_item(request, "bank_statement")), decision="reject"
        )
    assert refused.value.errors[0].field == "reason"
    services.review_upload(
        actor=as_carol,
        upload=_upload_of(_item(request, "bank_statement")),
        decision="reject",
        reason="需要近三个月的流水",
    )
    statement = _item(request, "bank_statement")
    assert (statement.status, statement.reason) == (ItemStatus.REJECTED, "需要近三个月的流水")
    assert selectors.request_get(actor=as_hana, request_id=request.pk).status == RequestStatus.OPEN

    services.upload_to_item(
        actor=as_hana, item=statement, file=upload("bank2.png", png_bytes(3, 3))
    )
    statement = _item(request, "bank_statement")
    assert statement.status == ItemStatus.SUBMITTED and statement.reason == ""
    services.review_upload(actor=as_bob, upload=_upload_of(statement), decision="accept")
    done = selectors.request_get(actor=as_hana, request_id=request.pk)
    assert done.status == RequestStatus.DONE and done.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="docrequest.").values_list("action", flat=True)
    )
    assert actions == [
        "docrequest.opened",
        "docrequest.uploaded",
        "docrequest.accepted",
        "docrequest.uploaded",
        "docrequest.rejected",
        "docrequest.uploaded",
        "docrequest.accepted",
        "docrequest.completed",
    ]


def test_an_accepted_upload_closes_the_readiness_gap(as_carol, mini_project, as_hana):
    from linkstar.projects.models import Task

    Task.objects.filter(project=mini_project, key="collect").update(
        document_types=["business_license"]
    )
    gaps = [i["status"] for i in readiness(mini_project)["items"]]
    assert gaps == ["missing"]
    request = ask(as_carol, mini_project, "business_license")
    services.upload_to_item(actor=as_hana, item=_item(request, "business_license"), file=licence())
    assert [i["status"] for i in readiness(mini_project)["items"]] == ["missing"]
    services.review_upload(
        actor=as_carol, upload=_upload_of(_item(request, "business_license")), decision="accept"
    )
    assert [i["status"] for i in readiness(mini_project)["items"]] == ["ok"]


def test_a_new_upload_replaces_the_one_waiting(as_carol, mini_project, as_hana):
    request = ask(as_carol, mini_project, "business_license")
    item = _item(request, "business_license")
    first = services.upload_to_item(actor=as_hana, item=item, file=licence("a.pdf"))
    second = services.upload_to_item(actor=as_hana, item=item, file=licence("b.pdf", "v2"))
    first.refresh_from_db()
    assert (first.status, second.status) == (UploadStatus.REPLACED, UploadStatus.PENDING)
    with pytest.raises(Conflict) as late:
        services.review_upload(actor=as_carol, upload=first, decision="accept")
    assert late.value.code == "upload_reviewed"


def test_the_vault_checks_apply_to_a_request_upload(as_carol, mini_project, as_hana):
    request = ask(as_carol, mini_project, "business_license")
    item = _item(request, "business_license")
    with pytest.raises(InvalidInput) as refused:
        services.upload_to_item(actor=as_hana, item=item, file=upload("licence.pdf", png_bytes()))
    assert refused.value.code == "invalid_file"
    assert _item(request, "business_license").status == ItemStatus.WAITING


def test_who_may_ask_answer_and_review(
    as_carol, as_bob, as_dave, as_frank, as_grace, as_hana, mini_project
):
    with pytest.raises(PermissionDenied):
        ask(as_hana, mini_project)  # a client answers, it does not ask
    with pytest.raises(PermissionDenied):
        ask(as_frank, mini_project)  # the auditor changes nothing
    with pytest.raises(PermissionDenied):
        ask(as_dave, mini_project)  # a reviewer who is not on the project
    request = ask(as_bob, mini_project, "business_license")
    item = _item(request, "business_license")
    with pytest.raises(PermissionDenied):
        services.upload_to_item(actor=as_grace, item=item, file=licence())  # another entity
    with pytest.raises(NotFound):
        selectors.request_get(actor=as_grace, request_id=request.pk)
    up = services.upload_to_item(actor=as_hana, item=item, file=licence())
    with pytest.raises(PermissionDenied):
        services.review_upload(actor=as_hana, upload=up, decision="accept")


def test_bad_input_names_the_field_and_changes_nothing(as_carol, mini_project):
    with pytest.raises(InvalidInput) as refused:
        services.open_request(
            actor=as_carol,
            project=mini_project,
            items=[{"document_type": "nonsense"}],
            due_date=mini_project.start_date - dt.timedelta(days=1),
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {"due_date"}
    with pytest.raises(InvalidInput) as refused:
        services.open_request(
            actor=as_carol,
            project=mini_project,
            items=[{"document_type": "nonsense"}, {"document_type": "passport", "note": "x" * 600}],
            due_date=mini_project.start_date,
        )
    assert {e.field for e in refused.value.errors} == {"items[0].document_type", "items[1].note"}
    with pytest.raises(InvalidInput):
        services.open_request(actor=as_carol, project=mini_project, items=[], due_date=None)
    assert not AuditEvent.objects.filter(action__startswith="docrequest.").exists()


def test_withdrawn_requests_take_nothing_more(as_carol, mini_project, as_hana):
    request = ask(as_carol, mini_project, "business_license")
    services.cancel_request(actor=as_carol, request=request, reason="平台已通过")
    with pytest.raises(Conflict) as closed:
        services.upload_to_item(
            actor=as_hana, item=_item(request, "business_license"), file=licence()
        )
    assert closed.value.code == "request_closed"
