"""The inbox filters by kind (page and API), and what waits for the reader comes first."""

from __future__ import annotations

import pytest

from linkstar.core import clock
from linkstar.core.actors import Actor
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Notification
from tests.support.clients import ApiClient, login
from tests.support.notifications import process_all


def tell(kind, project, org, user, **data):
    """One notification of ``kind`` to ``user`` (written as the fan-out writes it)."""
    event = events.publish(kind, actor=Actor.system(org), project=project, data=data)
    process_all()
    Notification.objects.get_or_create(
        event=event,
        recipient=user,
        defaults={
            "organization": org,
            "kind": kind,
            "params": {"project_code": project.code, **data},
        },
    )


@pytest.fixture
def approval(settled, org):
    """A pending approval request of the project's first task."""
    from linkstar.approvals.models import ApprovalRequest

    task = settled.tasks.order_by("position").first()
    return ApprovalRequest.objects.create(
        organization=org, project=settled, task=task, levels=1, requested_by=None
    )


@pytest.fixture
def mixed(settled, org, carol, approval):
    """carol's inbox: a mention and an approval request, then (newer) a risk, a reminder and a
    platform mail; each a minute after the one before."""
    with clock.travel(minutes=1):
        tell(EventKind.COMMENT_MENTION, settled, org, carol, user_ids=[carol.pk], excerpt="hi")
    with clock.travel(minutes=2):
        tell(EventKind.APPROVAL_REQUESTED, settled, org, carol, approval_id=approval.pk)
    with clock.travel(minutes=3):
        tell(EventKind.RISK_DETECTED, settled, org, carol)
    with clock.travel(minutes=4):
        tell(EventKind.TASK_OVERDUE, settled, org, carol)
    with clock.travel(minutes=5):
        tell(EventKind.MAIL_RECEIVED, settled, org, carol, subject="Verify")
    return settled


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("mentions", {EventKind.COMMENT_MENTION}),
        ("approvals", {EventKind.APPROVAL_REQUESTED}),
        ("reminders", {EventKind.TASK_OVERDUE}),
        ("risks", {EventKind.RISK_DETECTED}),
        ("mail", {EventKind.MAIL_RECEIVED}),
    ],
)
def test_the_api_filters_by_kind(kind, expected, mixed, carol):
    answer = ApiClient(carol).get("/me/notifications", kind=kind)
    assert answer.status_code == 200
    body = answer.json()
    assert {n["kind"] for n in body["items"]} == expected
    assert body["count"] == 1
    assert body["unread"] == 5  # the unread count stays the whole inbox's


def test_an_unknown_kind_is_refused(mixed, carol):
    answer = ApiClient(carol).get("/me/notifications", kind="everything")
    assert answer.status_code == 422


def test_mentions_and_approvals_waiting_for_me_come_first(mixed, carol, approval):
    kinds = [n["kind"] for n in ApiClient(carol).get("/me/notifications").json()["items"]]
    assert kinds == [
        EventKind.APPROVAL_REQUESTED,
        EventKind.COMMENT_MENTION,
        EventKind.MAIL_RECEIVED,
        EventKind.TASK_OVERDUE,
        EventKind.RISK_DETECTED,
    ]
    # a mention once read, an approval once decided, take their place by date
    Notification.objects.filter(
        kind__in=[EventKind.COMMENT_MENTION, EventKind.APPROVAL_REQUESTED]
    ).update(read_at=clock.now())
    kinds = [n["kind"] for n in ApiClient(carol).get("/me/notifications").json()["items"]]
    assert kinds[0] == EventKind.APPROVAL_REQUESTED and kinds[-1] == EventKind.COMMENT_MENTION
    approval.status = "approved"
    approval.save()
    kinds = [n["kind"] for n in ApiClient(carol).get("/me/notifications").json()["items"]]
    assert kinds[0] == EventKind.MAIL_RECEIVED
    assert kinds[-2:] == [EventKind.APPROVAL_REQUESTED, EventKind.COMMENT_MENTION]


def test_the_page_filters_by_kind(mixed, carol):
    client = login(carol)
    page = client.get("/o/acme/notifications/?kind=risks")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kind="risks"' in html
    assert "关联风险" in html
    rows = page.context["rows"]
    assert [n.kind for n in rows] == [EventKind.RISK_DETECTED]
    everything = client.get("/o/acme/notifications/?kind=nonsense").context["rows"]
    assert len(everything) == 5
