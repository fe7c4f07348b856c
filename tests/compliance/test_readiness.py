"""Readiness: each document type the project's tasks need, looked up in the entity's vault."""

from __future__ import annotations

import datetime as dt

from linkstar.compliance.services import readiness, submission_date
from linkstar.projects.models import Task, TaskStatus
from linkstar.projects.services import skip_task
from tests.support.compliance import GATE_TYPES, document


def by_type(state) -> dict:
    return {item["document_type"]: item for item in state["items"]}


def test_a_project_without_documents_lists_every_needed_type_as_missing(gated):
    state = readiness(gated)
    assert [i["document_type"] for i in state["items"]] == [
        "business_license",
        "legal_rep_id_front",
        "legal_rep_id_back",
        "w8ben_e",
    ]
    assert {i["status"] for i in state["items"]} == {"missing"}
    assert state["percent"] == 0
    assert all(i["document_id"] is None for i in state["items"])


def test_each_status_and_the_percentage(gated, seller_a, today):
    submit_on = submission_date(gated)
    assert submit_on == today + dt.timedelta(days=20)  # the due date of "submit"
    ok = document(seller_a, "business_license", expiry_date=today + dt.timedelta(days=400))
    document(seller_a, "legal_rep_id_front", expiry_date=today - dt.timedelta(days=1))
    document(seller_a, "legal_rep_id_back", expiry_date=submit_on - dt.timedelta(days=1))
    document(seller_a, "w8ben_e")  # no expiry
    state = readiness(gated)
    items = by_type(state)
    assert items["business_license"]["status"] == "ok"
    assert items["business_license"]["document_id"] == ok.pk
    assert items["business_license"]["expiry_date"] == ok.expiry_date
    assert items["legal_rep_id_front"]["status"] == "expired"
    assert items["legal_rep_id_back"]["status"] == "expiring_before_submission"
    assert items["w8ben_e"]["status"] == "ok"
    assert state["percent"] == 50
    assert state["submission_date"] == submit_on


def test_a_document_valid_on_the_submission_day_is_ready_and_flagged_expiring_soon(
    gated, seller_a, today
):
    submit_on = submission_date(gated)
    document(seller_a, "business_license", expiry_date=submit_on)
    item = by_type(readiness(gated))["business_license"]
    assert item["status"] == "ok"
    assert item["expiring_soon"] is True  # within the 30 warning days from today


def test_all_documents_valid_is_one_hundred_percent(gated, seller_a):
    for code in GATE_TYPES:
        document(seller_a, code)
    state = readiness(gated)
    assert state["percent"] == 100
    assert {i["status"] for i in state["items"]} == {"ok"}


def test_old_versions_and_other_entities_documents_do_not_count(gated, seller_a, seller_b):
    document(seller_a, "business_license", is_current=False)
    document(seller_b, "business_license")
    assert by_type(readiness(gated))["business_license"]["status"] == "missing"


def test_of_several_current_documents_the_one_valid_longest_counts(gated, seller_a, today):
    document(seller_a, "legal_rep_id_front", expiry_date=today - dt.timedelta(days=3))
    longest = document(
        seller_a,
        "legal_rep_id_front",
        expiry_date=today + dt.timedelta(days=900),
        person_name="张伟",
    )
    item = by_type(readiness(gated))["legal_rep_id_front"]
    assert (item["status"], item["document_id"]) == ("ok", longest.pk)


def test_skipped_tasks_need_nothing(gated, as_bob):
    skip_task(actor=as_bob, task=Task.objects.get(project=gated, key="tax"), reason="US seller")
    assert "w8ben_e" not in by_type(readiness(gated))


def test_done_tasks_still_count(gated, seller_a):
    Task.objects.filter(project=gated, key="tax").update(status=TaskStatus.DONE)
    assert "w8ben_e" in by_type(readiness(gated))


def test_without_a_task_setting_under_review_the_planned_finish_is_the_submission(gated, today):
    Task.objects.filter(project=gated, key="submit").update(sets_stage="")
    gated.refresh_from_db()
    assert submission_date(gated) == gated.planned_finish


def test_a_late_plan_submits_today_at_the_earliest(gated, seller_a, today):
    Task.objects.filter(project=gated, key="submit").update(due_date=today - dt.timedelta(days=5))
    document(seller_a, "business_license", expiry_date=today + dt.timedelta(days=1))
    state = readiness(gated)
    assert state["submission_date"] == today
    assert by_type(state)["business_license"]["status"] == "ok"


def test_a_project_whose_tasks_need_nothing_is_ready(as_bob, seller_a, plain_template):
    from linkstar.projects.services import create_project

    project = create_project(
        actor=as_bob, template_id=plain_template.pk, store_name="Plain", entity_id=seller_a.pk
    )
    state = readiness(project)
    assert state["items"] == [] and state["percent"] == 100


def test_readiness_costs_four_queries(gated, seller_a, django_assert_max_num_queries):
    for code in GATE_TYPES[:2]:
        document(seller_a, code)
    gated.organization  # noqa: B018 - loaded by the caller in the pages and the API
    with django_assert_max_num_queries(4):
        readiness(gated)
