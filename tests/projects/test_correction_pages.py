"""Undo and correction on the task page: reopen (with the later tasks that started, kept or
reset), return for correction, back to to-do, and withdrawing a request for approval."""

from __future__ import annotations

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.projects.models import Task
from linkstar.projects.services import update_task
from tests.support.clients import client_for
from tests.support.seed import actor_of

pytestmark = pytest.mark.django_db


def _done(actor, task: Task) -> Task:
    for step in ("in_progress", "done"):
        task = update_task(actor=actor, task=Task.objects.get(pk=task.pk), status=step)
    return Task.objects.get(pk=task.pk)


def _task(project, key: str) -> Task:
    return Task.objects.get(project=project, key=key)


@pytest.fixture
def started_chain(mini_project, as_bob, as_carol):
    """collect (carol) done, check (bob, needs no approval) in progress."""
    _done(as_carol, _task(mini_project, "collect"))
    update_task(actor=as_bob, task=_task(mini_project, "check"), status="in_progress")
    return mini_project


def test_the_manager_sees_the_started_later_tasks_and_resets_them(bob, started_chain):
    collect = _task(started_chain, "collect")
    client = client_for(bob)
    page = client.get(f"/o/acme/tasks/{collect.pk}/").content.decode()
    assert 'id="reopen-form"' in page
    check = _task(started_chain, "check")
    assert f'data-dependant="{check.pk}"' in page
    assert 'id="dependants-reset"' in page
    answer = client.post(
        f"/o/acme/tasks/{collect.pk}/reopen/",
        {"reason": "licence rejected", "dependants": "reset", "version": collect.version},
    )
    assert answer.status_code == 302
    assert _task(started_chain, "collect").status == "in_progress"
    assert _task(started_chain, "check").status == "todo"


def test_the_assignee_reopens_their_own_work_but_may_not_reset_others(carol, started_chain):
    collect = _task(started_chain, "collect")
    page = client_for(carol).get(f"/o/acme/tasks/{collect.pk}/").content.decode()
    assert 'id="reopen-form"' in page
    assert 'id="dependants-reset"' not in page
    assert "manager may send them back to to-do" in page


def test_a_reviewer_returns_done_work_from_the_task_page(erin, started_chain):
    collect = _task(started_chain, "collect")
    client = client_for(erin)
    page = client.get(f"/o/acme/tasks/{collect.pk}/").content.decode()
    assert 'id="return-form"' in page
    answer = client.post(
        f"/o/acme/tasks/{collect.pk}/return/",
        {"reason": "scan is cut off", "version": collect.version},
    )
    assert answer.status_code == 302
    assert _task(started_chain, "collect").status == "in_progress"


def test_an_operator_sees_no_return_and_no_reopen_on_others_work(carol, bob, started_chain):
    check = _task(started_chain, "check")
    _done(actor_of(started_chain.organization, bob), check)
    page = client_for(carol).get(f"/o/acme/tasks/{check.pk}/").content.decode()
    assert 'id="return-form"' not in page
    assert 'id="reopen-form"' not in page


def test_a_task_in_progress_goes_back_to_to_do_from_its_page(bob, started_chain):
    check = _task(started_chain, "check")
    client = client_for(bob)
    assert 'id="back-to-todo"' in client.get(f"/o/acme/tasks/{check.pk}/").content.decode()
    client.post(
        f"/o/acme/tasks/{check.pk}/edit/",
        {"field": "status", "value": "todo", "version": check.version},
    )
    assert _task(started_chain, "check").status == "todo"


def test_the_requester_withdraws_an_approval_request_from_the_task_page(bob, started_chain):
    Task.objects.filter(project=started_chain, key="check").update(approval_levels=1)
    check = _task(started_chain, "check")
    _done(actor_of(started_chain.organization, bob), check)
    approval = ApprovalRequest.objects.get(task=check)
    client = client_for(bob)
    page = client.get(f"/o/acme/tasks/{check.pk}/").content.decode()
    assert f'id="withdraw-form-{approval.pk}"' in page
    client.post(f"/o/acme/approvals/{approval.pk}/withdraw/", {"reason": "too early"})
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "withdrawn"
    assert _task(started_chain, "check").status == "in_progress"
