"""Completing a task with unticked checklist items or missing documents never passes silently
(issue 14 §1): the pages ask for a reason, the API records what was missing, and missing
documents need a reason everywhere."""

from __future__ import annotations

import pytest
from django.test import Client

from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import Conflict
from linkstar.projects.models import Task
from linkstar.projects.services import update_task
from tests.support.pages import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def collect(mini_project, as_carol, task_of):
    """Started, its two checklist items unticked."""
    return update_task(actor=as_carol, task=task_of(mini_project, "collect"), status="in_progress")


def _last_update(task) -> dict:
    return (
        AuditEvent.objects.filter(action="task.updated", object_id=str(task.pk))
        .latest("id")
        .changes
    )


def test_the_api_completes_and_records_the_unticked_items(api, carol, collect):
    answer = api(carol).patch(f"/orgs/acme/tasks/{collect.pk}", {"status": "done"})
    assert answer.status_code == 200, answer.content
    assert _last_update(collect)["unticked"]["after"] == ["licence", "id card"]


def test_a_page_asks_for_a_reason_before_completing_an_unfinished_checklist(as_carol, collect):
    with pytest.raises(Conflict) as caught:
        update_task(actor=as_carol, task=collect, status="done", ask_confirmation=True)
    assert caught.value.code == "completion_unconfirmed"
    assert Task.objects.get(pk=collect.pk).status == "in_progress"
    update_task(
        actor=as_carol,
        task=collect,
        status="done",
        ask_confirmation=True,
        confirm_reason="身份证已在微信确认",
    )
    changes = _last_update(collect)
    assert changes["confirm_reason"]["after"] == "身份证已在微信确认"
    assert changes["unticked"]["after"] == ["licence", "id card"]


def test_missing_documents_need_a_reason_in_the_api_too(api, carol, collect):
    Task.objects.filter(pk=collect.pk).update(document_types=["business_license"])
    refused = api(carol).patch(f"/orgs/acme/tasks/{collect.pk}", {"status": "done"})
    assert refused.status_code == 409 and refused.json()["code"] == "documents_missing"
    answer = api(carol).patch(
        f"/orgs/acme/tasks/{collect.pk}",
        {"status": "done", "confirm_reason": "执照原件已寄给平台"},
    )
    assert answer.status_code == 200, answer.content
    changes = _last_update(collect)
    assert changes["missing_documents"]["after"] and changes["confirm_reason"]["after"]


def test_a_ticked_checklist_completes_without_a_question(as_carol, collect):
    ticked = [{**item, "done": True} for item in collect.checklist]
    task = update_task(actor=as_carol, task=collect, checklist=ticked)
    update_task(actor=as_carol, task=task, status="done", ask_confirmation=True)
    assert Task.objects.get(pk=collect.pk).status == "done"
    assert "unticked" not in _last_update(collect)


def test_the_row_asks_and_completes_with_the_reason(carol, collect):
    client = Client()
    client.force_login(carol)
    client.cookies["linkstar_language"] = "en"
    edit = {"field": "status", "value": "done", "version": collect.version}
    row = client.post(f"/o/acme/tasks/{collect.pk}/edit/", edit, **HTMX).content.decode()
    assert "ls-complete-confirm" in row and row.count("data-unticked") == 2
    assert Task.objects.get(pk=collect.pk).status == "in_progress"
    page = client.post(f"/o/acme/tasks/{collect.pk}/edit/", edit)
    assert page.status_code == 409 and b"ls-complete-confirm" in page.content
    client.post(
        f"/o/acme/tasks/{collect.pk}/edit/", {**edit, "confirm_reason": "checked by phone"}, **HTMX
    )
    assert Task.objects.get(pk=collect.pk).status == "done"
