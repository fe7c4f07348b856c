"""Comments are internal to the agency unless shown to the client (issue 15 §1): who reads
them on the task page, in the API and in the project's history, and who is told of them."""

from __future__ import annotations

import pytest

from linkstar.delivery.messages import render
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Notification
from linkstar.projects.models import Comment, Mention
from linkstar.projects.services import add_comment
from tests.support.clients import client_for
from tests.support.notifications import process_all, told
from tests.support.pages import HTMX, html
from tests.support.seed import build_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def yunfan(as_bob, mini_template, entity_yunfan, carol, grace):
    """bob's project for grace's entity (Yunfan), carol on the team; creation's notices gone."""
    project = build_project(
        manager=as_bob,
        template=mini_template,
        entity=entity_yunfan,
        members=[carol],
        store_name="Yunfan US",
    )
    process_all()
    Notification.objects.all().delete()
    return project


@pytest.fixture
def collect(yunfan):
    return yunfan.tasks.get(key="collect")


@pytest.fixture
def two_comments(yunfan, collect, as_carol):
    """An internal comment and one shown to the client, on the "collect" task."""
    internal = add_comment(actor=as_carol, project=yunfan, task=collect, body="Internal: fee 300")
    shared = add_comment(
        actor=as_carol, project=yunfan, task=collect, body="Please upload the ID", for_client=True
    )
    return internal, shared


def page_url(task) -> str:
    return f"/o/acme/tasks/{task.pk}/"


# --- the rule -----------------------------------------------------------------------------------


def test_a_staff_comment_is_internal_by_default(yunfan, as_carol):
    comment = add_comment(actor=as_carol, project=yunfan, body="Check the VAT number")
    assert Comment.objects.get(pk=comment.pk).for_client is False


def test_staff_may_show_a_comment_to_the_client(yunfan, as_bob):
    comment = add_comment(actor=as_bob, project=yunfan, body="Welcome", for_client=True)
    assert Comment.objects.get(pk=comment.pk).for_client is True


def test_a_client_s_comment_is_always_for_the_client(yunfan, as_grace):
    comment = add_comment(actor=as_grace, project=yunfan, body="Uploaded", for_client=False)
    assert Comment.objects.get(pk=comment.pk).for_client is True


def test_the_audit_event_records_for_whom_the_comment_is(yunfan, as_carol, as_grace, audit):
    internal = add_comment(actor=as_carol, project=yunfan, body="Internal")
    shared = add_comment(actor=as_carol, project=yunfan, body="Shared", for_client=True)
    from_client = add_comment(actor=as_grace, project=yunfan, body="From the client")
    for comment, expected in ((internal, False), (shared, True), (from_client, True)):
        (event,) = audit("comment.created", comment)
        assert event.changes["for_client"] == {"before": None, "after": expected}


def test_an_internal_comment_mentions_no_client(yunfan, as_bob, grace, carol):
    comment = add_comment(actor=as_bob, project=yunfan, body="@Grace is slow, @Carol chase her")
    assert set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True)) == {
        carol.pk
    }
    process_all()
    assert told() == {"carol"}


# --- reading ------------------------------------------------------------------------------------


def test_the_client_sees_only_the_shared_comments_on_the_task_page(two_comments, collect, grace):
    page = html(client_for(grace).get(page_url(collect)))
    assert "Please upload the ID" in page
    assert "Internal: fee 300" not in page
    assert 'name="for_client"' not in page  # a client's form has no choice


def test_staff_see_every_comment_with_a_badge_on_the_shared_ones(two_comments, collect, bob):
    page = html(client_for(bob, language="zh-hans").get(page_url(collect)))
    assert "Please upload the ID" in page and "Internal: fee 300" in page
    assert page.count("ls-for-client") == 1
    assert "客户可见" in page
    assert 'name="for_client"' in page and 'id="comment-for-client"' in page
    assert 'id="comment-for-client">' in page  # unchecked by default


def test_the_staff_form_shares_a_comment_only_when_ticked(yunfan, collect, carol):
    client = client_for(carol)
    url = f"/o/acme/tasks/{collect.pk}/comments/"
    assert client.post(url, {"body": "Internal note"}, **HTMX).status_code == 200
    assert client.post(url, {"body": "For you", "for_client": "1"}, **HTMX).status_code == 200
    assert dict(Comment.objects.values_list("body", "for_client")) == {
        "Internal note": False,
        "For you": True,
    }


def test_the_client_s_form_posts_a_comment_for_the_client(yunfan, collect, grace):
    response = client_for(grace).post(
        f"/o/acme/tasks/{collect.pk}/comments/", {"body": "Done"}, **HTMX
    )
    assert response.status_code == 200 and "Done" in html(response)
    assert Comment.objects.get().for_client is True


def test_the_client_lists_only_the_shared_comments_in_the_api(
    two_comments, yunfan, collect, api, grace
):
    _internal, shared = two_comments
    for path in (
        f"/orgs/acme/tasks/{collect.pk}/comments",
        f"/orgs/acme/projects/{yunfan.pk}/comments",
    ):
        answer = api(grace).get(path).json()
        assert [c["id"] for c in answer["items"]] == [shared.pk] and answer["count"] == 1
        assert answer["items"][0]["for_client"] is True


def test_staff_list_every_comment_in_the_api_with_for_client(two_comments, collect, api, carol):
    internal, shared = two_comments
    items = api(carol).get(f"/orgs/acme/tasks/{collect.pk}/comments").json()["items"]
    assert [(c["id"], c["for_client"]) for c in items] == [(internal.pk, False), (shared.pk, True)]


def test_the_api_takes_for_client_and_defaults_to_internal(collect, api, carol, grace):
    path = f"/orgs/acme/tasks/{collect.pk}/comments"
    plain = api(carol).post(path, {"body": "internal"})
    shared = api(carol).post(path, {"body": "shared", "for_client": True})
    from_client = api(grace).post(path, {"body": "mine", "for_client": False})
    assert (plain.status_code, shared.status_code, from_client.status_code) == (201, 201, 201)
    assert plain.json()["for_client"] is False
    assert shared.json()["for_client"] is True
    assert from_client.json()["for_client"] is True


def test_refusals_are_unchanged(yunfan, collect, project, api, grace, frank):
    path = f"/orgs/acme/tasks/{collect.pk}/comments"
    empty = api(grace).post(path, {"body": "  ", "for_client": True})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    assert api(frank).post(path, {"body": "hi", "for_client": True}).status_code == 403
    other = project.tasks.order_by("position").first()  # Xinghe's: not grace's entity
    assert api(grace).get(f"/orgs/acme/tasks/{other.pk}/comments").status_code == 404
    assert not Comment.objects.exists()


def test_the_client_s_project_history_leaves_out_internal_comments(
    two_comments, yunfan, api, grace, bob
):
    internal, shared = two_comments
    path = f"/orgs/acme/projects/{yunfan.pk}/history"

    def comment_events(user) -> set[str]:
        events = api(user).get(path).json()["events"]
        return {e["object_id"] for e in events if e["object_type"] == "comment"}

    assert comment_events(grace) == {str(shared.pk)}
    assert comment_events(bob) == {str(internal.pk), str(shared.pk)}


# --- who is told --------------------------------------------------------------------------------


def test_a_shared_comment_reaches_the_client_and_an_internal_one_does_not(
    yunfan, collect, as_carol, grace
):
    add_comment(actor=as_carol, project=yunfan, task=collect, body="Internal")
    process_all()
    assert told() == set()
    add_comment(actor=as_carol, project=yunfan, task=collect, body="Shared", for_client=True)
    process_all()
    assert told(EventKind.COMMENT_FOR_CLIENT) == {"grace"}
    n = Notification.objects.get(recipient=grace)
    assert n.params["excerpt"] == "Shared" and n.link == page_url(collect)


def test_a_shared_comment_does_not_reach_a_client_of_another_entity(mini_project, as_carol, grace):
    add_comment(actor=as_carol, project=mini_project, body="Shared", for_client=True)
    process_all()
    assert told() == set()


def test_a_client_s_comment_reaches_the_project_s_team(yunfan, collect, as_grace):
    add_comment(actor=as_grace, project=yunfan, task=collect, body="ID uploaded")
    process_all()
    assert told(EventKind.COMMENT_FROM_CLIENT) == {"bob", "carol"}


def test_a_mentioned_person_is_told_once_by_the_mention(yunfan, as_grace):
    add_comment(actor=as_grace, project=yunfan, body="@Carol the licence is uploaded")
    process_all()
    assert told(EventKind.COMMENT_MENTION) == {"carol"}
    assert told(EventKind.COMMENT_FROM_CLIENT) == {"bob"}
    assert Notification.objects.filter(recipient__email="carol@example.com").count() == 1


def test_the_notification_texts_name_the_project(yunfan, as_bob, as_grace):
    add_comment(actor=as_bob, project=yunfan, body="See you", for_client=True)
    add_comment(actor=as_grace, project=yunfan, body="Thanks")
    process_all()
    for n in Notification.objects.all():
        text = render(n.kind, n.params, n.link, language="zh-hans")
        assert yunfan.code in text.title
        assert any(line.startswith("“") for line in text.lines)
