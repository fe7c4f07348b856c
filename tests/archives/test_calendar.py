"""The iCalendar feed of my due dates: secret address, right events only, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from linkstar.archives import services
from linkstar.archives.models import CalendarFeed
from linkstar.audit.models import AuditEvent
from linkstar.projects.services import create_project, update_task


def _feed_path(raw: str) -> str:
    return f"/calendar/{raw}.ics"


def _events(client, raw: str) -> dict:
    r = client.get(_feed_path(raw))
    assert r.status_code == 200, r.content[:300]
    assert r["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    return cal, {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def carols_tasks(project, as_bob, carol):
    """Three of the project's tasks assigned to carol; one of them done."""
    tasks = list(project.tasks.order_by("position")[:3])
    for task in tasks:
        update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    return [t.__class__.objects.get(pk=t.pk) for t in tasks]


def test_feed_lists_my_open_tasks_as_all_day_events(client, as_carol, carols_tasks, project):
    from tests.support.gates import give_documents

    give_documents(project.entity)
    first, _second, third = carols_tasks
    done = update_task(actor=as_carol, task=third, status="in_progress")
    update_task(actor=as_carol, task=done, status="done")
    _feed, raw = services.create_calendar_feed(actor=as_carol)
    cal, events = _events(client, raw)
    assert str(cal["X-WR-CALNAME"]).startswith("LinkStar")
    mine_open = [t for t in carols_tasks if t.pk != third.pk]
    expected_uids = {f"task-{t.pk}@127.0.0.1" for t in mine_open}
    own = {uid for uid in events if uid in expected_uids}
    assert own == expected_uids
    # nothing that is not carol's open task
    carol_open_ids = set(
        project.tasks.filter(assignee__email="carol@example.com")
        .exclude(status__in=["done", "skipped"])
        .exclude(due_date=None)
        .values_list("pk", flat=True)
    )
    assert {int(uid.split("-")[1].split("@")[0]) for uid in events} == carol_open_ids
    event = events[f"task-{first.pk}@127.0.0.1"]
    assert event.decoded("DTSTART") == first.due_date
    assert isinstance(event.decoded("DTSTART"), dt.date) and not isinstance(
        event.decoded("DTSTART"), dt.datetime
    )
    assert event.decoded("DTEND") == first.due_date + dt.timedelta(days=1)
    assert str(event["SUMMARY"]) == f"[{project.code}] {first.title}"
    assert project.store_name in str(event["DESCRIPTION"])
    assert f"/o/acme/tasks/{first.pk}/" in str(event["DESCRIPTION"])
    # the UID is stable across refreshes
    _cal, again = _events(client, raw)
    assert set(again) == set(events)


def test_feed_leaves_out_projects_i_no_longer_see(
    client, as_bob, as_carol, carol, amazon_na, entity
):
    other = create_project(
        actor=as_bob, template_id=amazon_na.pk, store_name="Hidden", entity_id=entity.pk
    )
    task = other.tasks.order_by("position").first()
    update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    _feed, raw = services.create_calendar_feed(actor=as_carol)
    _cal, events = _events(client, raw)
    assert f"task-{task.pk}@127.0.0.1" in events
    from linkstar.projects.services import change_stage

    change_stage(actor=as_bob, project=other, stage="cancelled")
    _cal, events = _events(client, raw)
    assert f"task-{task.pk}@127.0.0.1" not in events


def test_token_is_stored_hashed_and_revoking_answers_404(client, as_carol):
    feed, raw = services.create_calendar_feed(actor=as_carol)
    assert raw not in str(list(CalendarFeed.objects.values_list("token_hash", "prefix")))
    assert feed.token_hash == services.hash_feed_token(raw)
    assert client.get(_feed_path(raw)).status_code == 200
    services.revoke_calendar_feed(actor=as_carol)
    assert client.get(_feed_path(raw)).status_code == 404
    actions = list(
        AuditEvent.objects.filter(object_type="calendarfeed").values_list("action", flat=True)
    )
    assert actions == ["calendar_feed.created", "calendar_feed.revoked"]


def test_a_new_address_replaces_the_old_one(client, as_carol):
    _feed, old = services.create_calendar_feed(actor=as_carol)
    _feed, new = services.create_calendar_feed(actor=as_carol)
    assert client.get(_feed_path(old)).status_code == 404
    assert client.get(_feed_path(new)).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_unknown_tokens_and_former_members_get_404(client, as_carol, carol, org):
    assert client.get(_feed_path("lscal_" + "x" * 43)).status_code == 404
    assert client.get(_feed_path("nothing-like-a-token")).status_code == 404
    _feed, raw = services.create_calendar_feed(actor=as_carol)
    from linkstar.accounts.models import Membership

    Membership.objects.filter(organization=org, user=carol).delete()
    assert client.get(_feed_path(raw)).status_code == 404


def test_feed_costs_a_fixed_number_of_queries(
    client, as_carol, carols_tasks, project, as_bob, carol, django_assert_max_num_queries
):
    _feed, raw = services.create_calendar_feed(actor=as_carol)
    client.get(_feed_path(raw))
    with django_assert_max_num_queries(4) as few:
        client.get(_feed_path(raw))
    for task in project.tasks.order_by("position")[3:12]:
        update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _cal, events = _events(client, raw)
    assert len(events) >= 10


def test_api_makes_shows_and_revokes_my_feed(api, client, carol):
    me = api(carol)
    assert me.get("/orgs/acme/calendar-feed").json() == {
        "active": False,
        "prefix": None,
        "created_at": None,
        "last_used_at": None,
        "url": None,
    }
    r = me.post("/orgs/acme/calendar-feed")
    assert r.status_code == 201
    url = r.json()["url"]
    assert url.startswith("http://127.0.0.1:8000/calendar/lscal_") and url.endswith(".ics")
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    shown = me.get("/orgs/acme/calendar-feed").json()
    assert shown["active"] is True and shown["url"] is None
    assert me.delete("/orgs/acme/calendar-feed").status_code == 204
    assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 404
    assert me.delete("/orgs/acme/calendar-feed").status_code == 404


def test_calendar_settings_page_shows_the_address_once(client, carol):
    client.force_login(carol)
    page = client.get("/o/acme/settings/calendar/").content.decode()
    assert 'id="feed-create"' in page and 'data-tab="calendar"' in page
    r = client.post("/o/acme/settings/calendar/", {"action": "create"}, follow=True)
    assert r.redirect_chain == [("/o/acme/settings/calendar/", 302)]  # a reload posts nothing
    page = r.content.decode()
    assert "/calendar/lscal_" in page and "webcal://" in page
    assert "no-store" in r["Cache-Control"]
    page = client.get("/o/acme/settings/calendar/").content.decode()
    assert "/calendar/lscal_" not in page and 'id="feed-revoke"' in page
    r = client.post("/o/acme/settings/calendar/", {"action": "revoke"})
    assert r.status_code == 302
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
