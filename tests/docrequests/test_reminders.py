"""Reminders of document requests: the clients two days before the due date, then every two days
once it is past (the requester too); nothing once everything is uploaded or the request closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linkstar.core import clock
from linkstar.delivery.reminders import scan_organization
from linkstar.docrequests.services import cancel_request, upload_to_item
from linkstar.notifications.models import Event
from tests.support.docrequests import ask, client_of_entity
from tests.support.files import licence
from tests.support.notifications import process_all, told
from tests.support.seed import PROJECT_START, actor_of


def _at(day: dt.date):
    return clock.frozen_at(dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")))


def _reminders(kind: str) -> list[str]:
    return sorted(Event.objects.filter(kind=kind).values_list("dedupe_key", flat=True))


@pytest.fixture
def hana(org, entity):
    return client_of_entity(org, entity)


def test_due_soon_then_overdue_every_other_day(org, as_carol, mini_project, hana):
    with _at(PROJECT_START):
        request = ask(as_carol, mini_project, due=PROJECT_START + dt.timedelta(days=5))
        scan_organization(org)
    assert _reminders("request.due_soon") == []
    with _at(PROJECT_START + dt.timedelta(days=3)):
        scan_organization(org)
        scan_organization(org)  # once only
    assert _reminders("request.due_soon") == [f"request_due:{request.pk}:2026-11-07"]
    process_all()
    assert told("request.due_soon") == {"hana"}
    for days in range(6, 11):
        with _at(PROJECT_START + dt.timedelta(days=days)):
            scan_organization(org)
    assert _reminders("request.overdue") == [
        f"request_overdue:{request.pk}:2026-11-08",
        f"request_overdue:{request.pk}:2026-11-10",
        f"request_overdue:{request.pk}:2026-11-12",
    ]
    process_all()
    assert told("request.overdue") == {"hana", "carol"}


def test_no_reminder_once_everything_is_uploaded_or_withdrawn(org, as_carol, mini_project, hana):
    with _at(PROJECT_START):
        uploaded = ask(as_carol, mini_project, "business_license", due=PROJECT_START)
        upload_to_item(actor=actor_of(org, hana), item=uploaded.items.get(), file=licence())
        withdrawn = ask(as_carol, mini_project, "passport", due=PROJECT_START)
        cancel_request(actor=as_carol, request=withdrawn)
    with _at(PROJECT_START + dt.timedelta(days=1)):
        scan_organization(org)
    assert _reminders("request.overdue") == [] and _reminders("request.due_soon") == []
