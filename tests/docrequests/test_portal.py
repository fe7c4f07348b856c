"""The client's portal (issue 15 §1): its stores, what waits on it, its requests and documents;
nothing internal, nothing of another client."""

from __future__ import annotations

import pytest

from linkstar.docrequests.services import upload_to_item
from tests.support.clients import client_for
from tests.support.compliance import document
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence
from tests.support.notifications import process_all, told
from tests.support.seed import actor_of, build_project

pytestmark = pytest.mark.usefixtures("on_project_start")


@pytest.fixture
def hana(org, entity):
    return client_of_entity(org, entity)


def test_the_portal_is_the_clients_home(
    as_bob, as_carol, hana, grace, mini_project, mini_template, entity_yunfan, entity, carol
):
    other = build_project(
        manager=as_bob, template=mini_template, entity=entity_yunfan, store_name="Yunfan Shop"
    )
    ask(as_carol, mini_project, "business_license", "passport")
    document(entity, "bank_statement", expiry_date=mini_project.start_date)
    home = client_for(hana).get("/o/acme/")
    assert home.status_code == 200
    html = home.content.decode()
    assert 'id="portal-stores"' in html and mini_project.store_name in html
    assert other.store_name not in html
    assert 'id="portal-requests"' in html and "Business licence" in html
    assert "2 documents" in html  # waiting on the client
    assert "Collect documents" in html  # the next step
    assert 'id="portal-documents"' in html
    # nothing internal
    for internal in ("carol@example.com", "bob@example.com", "overdue-by-assignee", "activity"):
        assert internal not in html
    # staff keep their workbench; the portal sends them there
    assert 'id="portal-stores"' not in client_for(carol).get("/o/acme/").content.decode()
    assert client_for(carol).get("/o/acme/portal/").status_code == 302
    theirs = client_for(grace).get("/o/acme/portal/").content.decode()
    assert other.store_name in theirs and mini_project.store_name not in theirs


def test_the_portal_costs_a_fixed_number_of_queries(
    as_bob, hana, mini_template, entity, django_assert_max_num_queries
):
    browser = client_for(hana)
    first = build_project(manager=as_bob, template=mini_template, entity=entity, store_name="S0")
    request = ask(as_bob, first)
    upload_to_item(
        actor=actor_of(first.organization, hana), item=request.items.first(), file=licence()
    )
    browser.get("/o/acme/")
    with django_assert_max_num_queries(25) as few:
        browser.get("/o/acme/")
    for i in range(5):
        p = build_project(
            manager=as_bob, template=mini_template, entity=entity, store_name=f"S{i + 1}"
        )
        ask(as_bob, p)
    with django_assert_max_num_queries(len(few.captured_queries)):
        browser.get("/o/acme/")


def test_messages_between_the_client_and_the_team(as_carol, hana, mini_project, carol, bob):
    from linkstar.projects.services import add_comment

    add_comment(actor=as_carol, project=mini_project, body="内部：客户资料有问题")
    add_comment(
        actor=as_carol, project=mini_project, body="您好，请尽快上传营业执照", for_client=True
    )
    browser = client_for(hana)
    html = browser.get("/o/acme/").content.decode()
    assert "请尽快上传营业执照" in html and "内部" not in html
    sent = browser.post(
        "/o/acme/portal/message/", {"project": mini_project.pk, "body": "已上传，请查收"}
    )
    assert sent.status_code == 302
    process_all()
    assert told("comment.from_client") == {"bob", "carol"}
    assert "已上传，请查收" in browser.get("/o/acme/").content.decode()
