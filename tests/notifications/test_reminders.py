"""Reminders: due soon at the lead times, overdue once a day, stalled, review too long, documents
expiring — with the clock moved, never slept; each made once however often or by how many
workers the scan runs."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.core import clock
from linkstar.delivery.reminders import plan_reminders, publish, scan_reminders
from linkstar.documents.models import Document
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event, Notification
from linkstar.notifications.services import update_org_settings
from linkstar.projects.models import Task
from linkstar.projects.services import change_stage, update_task
from tests.support.gates import pass_gates
from tests.support.notifications import process_all, told


@pytest.fixture(autouse=True)
def _reminders_at_any_hour(settings):
    """These tests are about which reminders are made, whatever the time of day they run: the
    reminder time is midnight (its own rule: tests/notifications/test_reminder_time.py)."""
    settings.LINKSTAR_REMINDER_TIME = "00:00"


def keys(kind=None) -> list[str]:
    qs = Event.objects.filter(dedupe_key__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("dedupe_key", flat=True))


@pytest.fixture
def quiet(settled):
    """The project with no due dates (so only the task a test dates is reminded of)."""
    Task.objects.filter(project=settled).update(due_date=None)
    return settled


@pytest.fixture
def due_task(quiet, as_bob, carol, org):
    """carol's first task, due two days from today (the organization's today)."""
    task = quiet.tasks.order_by("position").first()
    due = clock.org_today(org) + dt.timedelta(days=2)
    task = update_task(actor=as_bob, task=task, assignee_id=carol.pk, due_date=due)
    process_all()
    Notification.objects.all().delete()
    return task


def test_due_soon_at_each_lead_time_then_overdue_once_a_day(due_task, org):
    due = due_task.due_date
    scan_reminders()
    assert keys() == [f"due_soon:{due_task.pk}:{due}:2"]
    scan_reminders()  # a second scan: nothing new
    assert len(keys()) == 1
    with clock.travel(days=1):  # one day left: still within the 2-day reminder
        scan_reminders()
        assert len(keys()) == 1
    with clock.travel(days=2):  # the due day
        scan_reminders()
        assert keys(EventKind.TASK_DUE_SOON) == [
            f"due_soon:{due_task.pk}:{due}:0",
            f"due_soon:{due_task.pk}:{due}:2",
        ]
    with clock.travel(days=3):
        scan_reminders()
        scan_reminders()
    with clock.travel(days=3, hours=5):
        scan_reminders()
    with clock.travel(days=4):
        scan_reminders()
    assert keys(EventKind.TASK_OVERDUE) == [
        f"overdue:{due_task.pk}:{due + dt.timedelta(days=1)}",
        f"overdue:{due_task.pk}:{due + dt.timedelta(days=2)}",
    ]
    process_all()
    assert told() == {"carol"}
    assert Notification.objects.count() == 4
    late = Notification.objects.filter(kind=EventKind.TASK_OVERDUE).order_by("created_at").last()
    assert late.params["days_late"] == 2 and late.params["due_date"] == due.isoformat()


def test_a_done_task_is_no_longer_reminded(due_task, as_carol):
    pass_gates(due_task.project)
    task = update_task(actor=as_carol, task=due_task, status="in_progress")
    update_task(actor=as_carol, task=task, status="done")
    with clock.travel(days=5):
        scan_reminders()
    assert keys(EventKind.TASK_DUE_SOON) == keys(EventKind.TASK_OVERDUE) == []


def test_an_unassigned_task_is_reminded_to_the_manager(quiet, as_bob, org):
    task = quiet.tasks.order_by("position").first()
    update_task(actor=as_bob, task=task, due_date=clock.org_today(org))
    process_all()
    scan_reminders()
    process_all()
    assert told(EventKind.TASK_DUE_SOON) == {"bob"}


def test_a_scan_that_missed_days_still_reminds(due_task):
    """The worker was down: the 2-day reminder is skipped past, the due-day one still comes."""
    with clock.travel(days=2):
        scan_reminders()
    assert keys() == [f"due_soon:{due_task.pk}:{due_task.due_date}:0"]


def test_lead_times_are_the_organization_s(due_task, as_alice, org):
    update_org_settings(actor=as_alice, due_soon_days=[5, 1])
    with clock.travel(days=-3):  # five days before
        scan_reminders()
    assert keys() == [f"due_soon:{due_task.pk}:{due_task.due_date}:5"]
    scan_reminders()  # two days before: still the 5-day window
    assert len(keys()) == 1
    with clock.travel(days=1):
        scan_reminders()
    assert f"due_soon:{due_task.pk}:{due_task.due_date}:1" in keys()


def test_a_stalled_project_is_told_to_its_manager_once(quiet, org):
    with clock.travel(days=4):
        scan_reminders()
        assert keys(EventKind.PROJECT_STALLED) == []
    with clock.travel(days=6):
        scan_reminders()
        scan_reminders()
    with clock.travel(days=9):
        scan_reminders()
    [key] = keys(EventKind.PROJECT_STALLED)
    assert key.startswith(f"stalled:{quiet.pk}:")
    process_all()
    assert told(EventKind.PROJECT_STALLED) == {"bob"}
    n = Notification.objects.get(kind=EventKind.PROJECT_STALLED)
    assert n.params["idle_days"] >= 5


def test_stalled_days_are_the_organization_s(quiet, as_alice):
    update_org_settings(actor=as_alice, stalled_days=10)
    with clock.travel(days=6):
        scan_reminders()
    assert keys(EventKind.PROJECT_STALLED) == []
    with clock.travel(days=11):
        scan_reminders()
    assert len(keys(EventKind.PROJECT_STALLED)) == 1


def test_a_review_longer_than_the_site_usually_takes_is_told_once(quiet, as_bob):
    pass_gates(quiet)
    change_stage(actor=as_bob, project=quiet, stage="under_review")
    quiet.refresh_from_db()
    assert quiet.site.review_days == 3  # amazon-us, from the catalog
    with clock.travel(days=2):
        scan_reminders()
    assert keys(EventKind.PROJECT_REVIEW_LONG) == []
    with clock.travel(days=4):
        scan_reminders()
        scan_reminders()
    with clock.travel(days=20):
        scan_reminders()
    assert keys(EventKind.PROJECT_REVIEW_LONG) == [
        f"review_long:{quiet.pk}:{quiet.stage_changed_at.isoformat()}"
    ]
    assert keys(EventKind.PROJECT_STALLED) == []  # under review is not stalled
    process_all()
    assert told(EventKind.PROJECT_REVIEW_LONG) == {"bob"}


def test_documents_are_reminded_30_and_7_days_before_and_when_expired(
    quiet, entity, entity_yunfan, org, alice, bob, carol, grace
):
    today = clock.org_today(org)
    from linkstar.catalog.models import DocumentType

    licence = Document.objects.create(
        organization=org,
        entity=entity,
        document_type=DocumentType.objects.get(code="business_license"),
        expiry_date=today + dt.timedelta(days=30),
    )
    scan_reminders()
    with clock.travel(days=10):
        scan_reminders()
    with clock.travel(days=23):
        scan_reminders()
    with clock.travel(days=29):
        scan_reminders()
    with clock.travel(days=31):
        scan_reminders()
    with clock.travel(days=60):
        scan_reminders()
    assert keys(EventKind.DOCUMENT_EXPIRING) == [
        f"doc_expiring:{licence.pk}:30",
        f"doc_expiring:{licence.pk}:7",
        f"doc_expiring:{licence.pk}:expired",
    ]
    process_all()
    # the manager of the entity's active project, and the admins; not the team, not a client
    # of another entity
    assert told(EventKind.DOCUMENT_EXPIRING) == {"alice", "bob"}
    n = Notification.objects.filter(kind=EventKind.DOCUMENT_EXPIRING).first()
    assert n.link == f"/o/acme/documents/{licence.pk}/"


def test_two_scans_racing_make_each_reminder_once(due_task, org):
    """Two workers plan the same reminders before either writes: the unique key decides."""
    first, second = plan_reminders(org), plan_reminders(org)
    assert first.counts() == second.counts() and first.counts()[EventKind.TASK_DUE_SOON] == 1
    publish(first)
    publish(second)
    assert keys() == [f"due_soon:{due_task.pk}:{due_task.due_date}:2"]
    process_all()
    process_all()
    assert Notification.objects.count() == 1


def test_the_scan_costs_the_same_queries_whatever_the_number_of_tasks(
    quiet, as_bob, org, django_assert_max_num_queries
):
    today = clock.org_today(org)
    Task.objects.filter(project=quiet).update(due_date=today - dt.timedelta(days=1))
    with django_assert_max_num_queries(20):
        scan_reminders()
    assert len(keys(EventKind.TASK_OVERDUE)) == quiet.tasks.count() > 10


def test_a_key_inserted_by_another_worker_in_between_is_refused_by_the_database(due_task, org):
    """Past the look-up of known keys, the unique constraint itself makes it once."""
    from linkstar.core.actors import Actor
    from linkstar.notifications import events

    item = {
        "project_id": due_task.project_id,
        "task_id": due_task.pk,
        "dedupe_key": f"due_soon:{due_task.pk}:{due_task.due_date}:2",
        "data": {"days_left": 2, "lead": 2},
    }
    for _worker in range(2):
        events.publish_once_many(
            EventKind.TASK_DUE_SOON, actor=Actor.system(org), items=[dict(item)]
        )
    assert keys() == [item["dedupe_key"]]
    assert (
        events.publish_once(
            EventKind.TASK_DUE_SOON, actor=Actor.system(org), dedupe_key=item["dedupe_key"]
        )
        is None
    )
