"""The approvals inbox (待我审批): what I may decide now, then my own requests and decisions."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from linkstar.approvals.models import ApprovalDecision, ApprovalRequest
from linkstar.projects.models import Task
from linkstar.projects.services import ProjectRow, create_projects_batch, skip_task, update_task
from tests.support.clients import client_for
from tests.support.gates import pass_gates
from tests.support.pages import HTMX, html
from tests.support.seed import PASSWORD, actor_of

pytestmark = pytest.mark.django_db

INBOX = "/o/acme/approvals/"
MINE = "/o/acme/approvals/?tab=mine"


def ids_on(page: str, container: str) -> list[int]:
    block = re.search(rf'id="{container}".*?(</table>|<!-- end -->|$)', page, re.S).group(0)
    return [int(i) for i in re.findall(r'data-approval-id="(\d+)"', block)]


def decidable_ids(page: str) -> list[int]:
    return [
        int(i) for i in re.findall(r'class="card h-100 ls-approval" data-approval-id="(\d+)"', page)
    ]


@pytest.fixture
def requested(project, as_bob, carol, org) -> ApprovalRequest:
    """carol asks for approval of the two-level deposit-method task."""
    pass_gates(project)
    t = Task.objects.get(project=project, key="set-deposit-method")
    for dep in t.depends_on.all():
        skip_task(actor=as_bob, task=dep, reason="test")
    as_carol = actor_of(org, carol)
    update_task(actor=as_carol, task=t, status="in_progress")
    t.refresh_from_db()
    update_task(actor=as_carol, task=t, status="done", version=t.version)
    return ApprovalRequest.objects.get(task=t)


@pytest.fixture
def many_approvals(as_bob, amazon_na, entity, carol, bob):
    """500 projects, each with a two-level request by carol, level 1 decided by bob on every
    third one."""
    projects = create_projects_batch(
        actor=as_bob,
        template_id=amazon_na.pk,
        rows=[
            ProjectRow(store_name=f"Store {i:03}", entity_id=entity.pk, members=[carol.pk])
            for i in range(500)
        ],
        start_date=dt.date(2026, 11, 2),
    )
    tasks = Task.objects.filter(project__in=projects, key="review-document-pack")
    approvals = ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            organization_id=t.organization_id,
            task=t,
            project_id=t.project_id,
            levels=2,
            requested_by=carol,
        )
        for t in tasks
    )
    ApprovalDecision.objects.bulk_create(
        ApprovalDecision(request=a, level=1, decided_by=bob, decision="approve", at=a.created_at)
        for i, a in enumerate(approvals)
        if i % 3 == 0
    )
    ApprovalRequest.objects.filter(
        pk__in=[a.pk for i, a in enumerate(approvals) if i % 3 == 0]
    ).update(current_level=2)
    return approvals


def test_a_reviewer_sees_what_they_may_decide_now(requested, dave, carol):
    page = html(client_for(dave).get(INBOX))
    assert decidable_ids(page) == [requested.pk]
    assert "level 1 of 2" in page and "Requested by Carol" in page
    assert f'id="decide-form-{requested.pk}"' in page


def test_the_requester_does_not_see_their_own_request_to_decide(requested, carol):
    page = html(client_for(carol).get(INBOX))
    assert decidable_ids(page) == [] and 'id="nothing-to-decide"' in page
    page = html(client_for(carol).get(MINE))
    assert ids_on(page, "my-requests") == [requested.pk]
    assert "level 1 of 2" in page


def test_deciding_from_the_inbox_moves_the_request_to_the_next_level(requested, dave, erin):
    client = client_for(dave)
    response = client.post(
        f"/o/acme/approvals/{requested.pk}/decide/",
        {"decision": "approve", "comment": "ok", "next": INBOX},
    )
    assert response.status_code == 302 and response["Location"] == INBOX
    page = html(client.get(INBOX))
    assert "Level 1 approved; level 2 is next." in page
    assert decidable_ids(page) == []  # four eyes: not level 2 for dave
    page = html(client.get(MINE))
    assert ids_on(page, "my-decisions") == [requested.pk]
    assert "Approve" in page and "“ok”" in page
    page = html(client_for(erin).get(INBOX))
    assert decidable_ids(page) == [requested.pk]
    assert "Level 1 approved by Dave" in page


def test_rejecting_without_a_comment_is_refused_with_the_reason(requested, dave):
    client = client_for(dave)
    response = client.post(
        f"/o/acme/approvals/{requested.pk}/decide/",
        {"decision": "reject", "comment": ""},
        HTTP_REFERER="http://testserver" + INBOX,
    )
    assert response.status_code == 302
    page = html(client.get(response["Location"]))
    assert "alert-danger" in page and "Say why you reject it." in page
    requested.refresh_from_db()
    assert requested.status == "pending"


def test_an_operator_may_not_decide_and_is_told_why(requested, carol, org, as_alice):
    from linkstar.accounts.services import add_member

    other = add_member(
        actor=as_alice, email="olga@example.com", role="operator", name="Olga", password=PASSWORD
    )
    client = client_for(other.user)
    assert decidable_ids(html(client.get(INBOX))) == []
    response = client.post(
        f"/o/acme/approvals/{requested.pk}/decide/", {"decision": "approve"}, **HTMX
    )
    # Olga is on no project: the request is not even visible to her.
    assert response.status_code == 404
    project = requested.project
    project.members.add(other.user)
    response = client.post(
        f"/o/acme/approvals/{requested.pk}/decide/", {"decision": "approve"}, **HTMX
    )
    assert response.status_code == 403 and "reviewers" in response.content.decode()


def test_the_inbox_is_chinese_by_default(requested, dave):
    page = html(client_for(dave, language="zh-hans").get(INBOX))
    assert "待我审批" in page or "等待我审批" in page
    assert "批准" in page


def test_the_inbox_costs_a_bounded_number_of_queries_with_500_requests(
    many_approvals, alice, bob, carol, dave, django_assert_max_num_queries
):
    for user, expected in ((dave, 500), (alice, 500), (bob, 333), (carol, 0)):
        client = client_for(user)
        client.get(INBOX)
        with django_assert_max_num_queries(8):
            page = html(client.get(INBOX))
        # bob decided level 1 of every third one: he may not decide level 2 (four eyes), but
        # may decide level 1 of the others as the projects' manager.
        count = int(re.search(r'data-tab="decide".*?text-bg-warning">(\d+)<', page, re.S)[1])
        assert count == expected, user
        assert len(decidable_ids(page)) == min(count, 50)
        # The second tab also counts the first's requests for its badge.
        # +1: the notification bell's unread count (issue 5).
        with django_assert_max_num_queries(11):
            client.get(MINE)


def test_another_organizations_member_gets_404(requested, mallory):
    client = client_for(mallory)
    assert client.get("/o/acme/approvals/").status_code == 404
    response = client.post(f"/o/acme/approvals/{requested.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 404
    assert client.get(f"/o/evil/approvals/{requested.pk}/decide/").status_code in (404, 405)
    response = client.post(f"/o/evil/approvals/{requested.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 404
    requested.refresh_from_db()
    assert requested.status == "pending" and requested.current_level == 1
