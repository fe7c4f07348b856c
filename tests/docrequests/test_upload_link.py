"""The upload link (issue 15 §2): a client without an account uploads to one request through an
expiring link whose token is kept hashed; expiry, revocation and misuse are refused; every use
is audited; the link is rate-limited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.core import clock
from linkstar.docrequests import services
from linkstar.docrequests.models import ItemStatus, RequestItem, UploadLink
from linkstar.entities.services import create_entity
from tests.support.docrequests import ask
from tests.support.files import licence
from tests.support.seed import actor_of, build_project

pytestmark = pytest.mark.usefixtures("on_project_start")


def _path(token: str) -> str:
    return f"/r/{token}/"


def _item(request, code="business_license") -> RequestItem:
    return request.items.get(document_type__code=code)


def test_the_token_is_kept_hashed_and_shown_once(as_carol, mini_project):
    request = ask(as_carol, mini_project)
    link, token = services.create_link(actor=as_carol, request=request, days=7)
    assert token not in link.token_hash and len(link.token_hash) == 64
    stored = UploadLink.objects.values_list("token_hash", flat=True).get()
    assert stored == services.hash_token(token)
    event = AuditEvent.objects.get(action="docrequest.link_created")
    assert token not in str(event.changes)


def test_a_client_without_an_account_sees_the_items_and_uploads(as_carol, mini_project):
    request = ask(as_carol, mini_project, message="请上传营业执照")
    _link, token = services.create_link(actor=as_carol, request=request)
    browser = Client()
    page = browser.get(_path(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert "请上传营业执照" in html and mini_project.store_name in html
    # nothing of the rest of the organization: no navigation, no staff, no other request
    assert "carol@example.com" not in html and "/o/acme/" not in html
    answer = browser.post(_path(token), {"item": _item(request).pk, "file": licence()}, follow=True)
    assert answer.status_code == 200 and "uploaded=1" in answer.redirect_chain[-1][0]
    assert _item(request).status == ItemStatus.SUBMITTED
    upload = _item(request).uploads.get()
    assert upload.uploaded_by_id is None and upload.link_id is not None
    uses = list(
        AuditEvent.objects.filter(action="docrequest.link_used").values_list(
            "changes__use__after", flat=True
        )
    )
    assert uses == ["opened", "uploaded", "opened"]
    assert AuditEvent.objects.filter(action="docrequest.uploaded", actor__isnull=True).exists()


def test_another_requests_item_is_refused(as_carol, as_bob, mini_project, amazon_na, entity, carol):
    first = ask(as_carol, mini_project)
    second = ask(as_carol, mini_project, "passport")
    _link, token = services.create_link(actor=as_carol, request=first)
    answer = Client().post(_path(token), {"item": _item(second, "passport").pk, "file": licence()})
    assert answer.status_code == 422
    assert _item(second, "passport").status == ItemStatus.WAITING
    assert AuditEvent.objects.filter(
        action="docrequest.link_used", changes__use__after="refused"
    ).exists()
    with pytest.raises(Exception) as refused:
        services.upload_to_item(
            actor=services.link_actor(_link, ip=None),
            item=_item(second, "passport"),
            file=licence(),
            link=_link,
        )
    assert getattr(refused.value, "code", "") == "not_found"


def test_expiry_and_revocation_close_the_link(as_carol, mini_project):
    request = ask(as_carol, mini_project)
    _link, token = services.create_link(actor=as_carol, request=request, days=1)
    assert Client().get(_path(token)).status_code == 200
    with clock.travel(dt.timedelta(days=1, minutes=1)):
        gone = Client().get(_path(token))
    assert gone.status_code == 410 and 'id="link-refused"' in gone.content.decode()
    link2, token2 = services.create_link(actor=as_carol, request=request, days=3)
    assert Client().get(_path(token2)).status_code == 200
    services.revoke_link(actor=as_carol, link=link2)
    replay = Client().post(_path(token2), {"item": _item(request).pk, "file": licence()})
    assert replay.status_code == 410
    assert _item(request).status == ItemStatus.WAITING
    assert AuditEvent.objects.filter(action="docrequest.link_revoked").count() == 1


def test_an_unknown_token_and_another_organizations_request(as_carol, mini_project, other_org):
    assert Client().get(_path("not-a-token")).status_code == 404
    request = ask(as_carol, mini_project)
    _link, token = services.create_link(actor=as_carol, request=request)
    # the link carries no organization: a member of another organization learns nothing more
    # than anyone else, and the organization's own pages stay closed to the link
    browser = Client()
    browser.get(_path(token))
    assert browser.get(f"/o/acme/requests/{request.pk}/").status_code == 302  # to the login


def test_a_closed_request_closes_its_links(as_carol, mini_project):
    request = ask(as_carol, mini_project)
    _link, token = services.create_link(actor=as_carol, request=request)
    services.cancel_request(actor=as_carol, request=request)
    assert Client().get(_path(token)).status_code == 410


def test_the_link_is_rate_limited(as_carol, mini_project, settings):
    # 30 an hour here (30 a minute by default): the counters' windows are the library's, on the
    # machine's clock; an hour keeps this test clear of a window's end
    settings.LINKSTAR_LINK_RATE = "30/h"
    request = ask(as_carol, mini_project)
    _link, token = services.create_link(actor=as_carol, request=request)
    browser = Client()
    codes = [browser.get(_path(token)).status_code for _ in range(35)]
    assert codes[:30] == [200] * 30 and set(codes[30:]) == {429}
    # guessing tokens from one address is limited the same way
    guesses = [Client().get(_path(f"guess-{i}")).status_code for i in range(5)]
    assert set(guesses) == {429}


def test_link_days_are_checked(as_carol, mini_project):
    request = ask(as_carol, mini_project)
    for days in (0, 61):
        with pytest.raises(Exception) as refused:
            services.create_link(actor=as_carol, request=request, days=days)
        assert refused.value.errors[0].field == "days"
    assert not UploadLink.objects.exists()
    assert re.fullmatch(r"http://[^/]+/r/[\w-]+/", services.link_url("abc-_1"))


def test_a_link_cannot_reach_another_organizations_request(
    as_carol, mini_project, other_org, mallory, amazon_na
):
    evil = actor_of(other_org, mallory)
    evil_entity = create_entity(actor=evil, name="Evil Trading Co")
    evil_project = build_project(
        manager=evil, template=amazon_na, entity=evil_entity, store_name="Evil Shop"
    )
    evil_request = ask(evil, evil_project, "passport")
    _link, token = services.create_link(actor=as_carol, request=ask(as_carol, mini_project))
    answer = Client().post(
        _path(token), {"item": _item(evil_request, "passport").pk, "file": licence()}
    )
    assert answer.status_code == 422
    assert _item(evil_request, "passport").status == ItemStatus.WAITING
    assert "Evil" not in answer.content.decode()
    # and the other organization's link opens only its own request
    _evil_link, evil_token = services.create_link(actor=evil, request=evil_request)
    page = Client().get(_path(evil_token)).content.decode()
    assert mini_project.store_name not in page and "Evil Trading Co" in page
