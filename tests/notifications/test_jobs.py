"""The periodic jobs of notifications (the outbox's: ``linkstar.delivery.tasks``), as the worker's
scheduler runs them."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.core import clock
from linkstar.delivery.tasks import PERIODIC, scan_reminders, sweep_events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event, Notification
from linkstar.projects.services import update_task


@pytest.fixture(autouse=True)
def _reminders_at_any_hour(settings):
    """These tests are about which reminders are made, whatever the time of day they run: the
    reminder time is midnight (its own rule: tests/notifications/test_reminder_time.py)."""
    settings.LINKSTAR_REMINDER_TIME = "00:00"


def test_the_periodic_jobs_are_declared_for_the_scheduler():
    names = {p.name: p for p in PERIODIC}
    assert set(names) == {
        "delivery.deliver_due",
        "delivery.scan_reminders",
        "delivery.send_digests",
        "delivery.sweep_events",
    }
    assert names["delivery.scan_reminders"].every.total_seconds() == 15 * 60


def test_an_event_whose_job_was_lost_is_fanned_out_by_the_sweep(settled, as_bob, carol):
    task = settled.tasks.order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)  # its job never ran
    assert sweep_events.call() == 0  # too fresh: its own job may still come
    with clock.travel(minutes=3):
        assert sweep_events.call() == 1
        assert sweep_events.call() == 0
    assert Notification.objects.get().kind == EventKind.TASK_ASSIGNED
    assert not Event.objects.filter(processed_at__isnull=True).exists()


def test_the_reminder_job_runs_the_scan(settled, org):
    from linkstar.projects.models import Task

    yesterday = clock.org_today(org) - dt.timedelta(days=1)
    Task.objects.filter(project=settled).update(due_date=yesterday)
    counts = scan_reminders.call()
    assert counts[EventKind.TASK_OVERDUE] == settled.tasks.count()
