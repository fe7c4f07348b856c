"""The bell, the inbox, the preference and settings pages, and the API."""

from __future__ import annotations

import pytest

from linkstar.core.actors import Actor
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Notification
from tests.support.clients import login
from tests.support.notifications import process_all


def mention(project, org, *users, n: int = 1, excerpt: str = "please check"):
    for i in range(n):
        events.publish(
            EventKind.COMMENT_MENTION,
            actor=Actor.system(org),
            project=project,
            data={"user_ids": [u.pk for u in users], "excerpt": f"{excerpt} {i}"},
        )
    process_all()


def test_the_bell_shows_the_unread_count_on_every_page(settled, org, carol):
    mention(settled, org, carol, n=3)
    page = login(carol).get("/o/acme/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="notification-bell"' in html
    assert 'data-count="3"' in html


def test_the_bell_costs_one_query(settled, org, carol, django_assert_num_queries):
    from django.template import Context, Template

    mention(settled, org, carol, n=2)
    template = Template('{% include "notifications/_bell.html" %}')
    context = Context({"user": carol, "current_org": org})
    with django_assert_num_queries(1):
        html = template.render(context)
    assert 'data-count="2"' in html


def test_the_inbox_lists_filters_and_costs_the_same_whatever_the_rows(
    settled, org, carol, django_assert_max_num_queries
):
    client = login(carol)
    mention(settled, org, carol, n=3)
    with django_assert_max_num_queries(12) as few:
        page = client.get("/o/acme/notifications/")
    mention(settled, org, carol, n=40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/o/acme/notifications/")
    html = page.content.decode()
    assert html.count('data-notification-id="') == 30  # a page
    assert "Page 1 of 2" in html or "第 1 页" in html or "1 / 2" in html or "page=2" in html
    Notification.objects.filter(recipient=carol).exclude(
        pk=Notification.objects.filter(recipient=carol).order_by("pk").first().pk
    ).update(read_at="2026-11-01T00:00:00Z")
    unread = client.get("/o/acme/notifications/?unread=1").content.decode()
    assert unread.count('data-notification-id="') == 1


def test_mark_read_and_mark_all_read_by_htmx(settled, org, carol, dave):
    mention(settled, org, carol, dave, n=3)
    client = login(carol)
    mine = list(Notification.objects.filter(recipient=carol).order_by("pk"))
    r = client.post(f"/o/acme/notifications/{mine[0].pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-read="1"' in html and 'hx-swap-oob="true"' in html and 'data-count="2"' in html
    r = client.post("/o/acme/notifications/read-all/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-count="0"' in r.content.decode()
    assert not Notification.objects.filter(recipient=carol, read_at__isnull=True).exists()
    # dave's are his own business
    assert Notification.objects.filter(recipient=dave, read_at__isnull=True).count() == 3
    theirs = Notification.objects.filter(recipient=dave).first()
    assert client.post(f"/o/acme/notifications/{theirs.pk}/read/").status_code == 404


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(settled, org, carol):
    mention(settled, org, carol)
    n = Notification.objects.get(recipient=carol)
    r = login(carol).get(f"/o/acme/notifications/{n.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/o/acme/projects/{settled.pk}/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_a_member_of_another_organization_sees_no_inbox_here(settled, mallory):
    assert login(mallory).get("/o/acme/notifications/").status_code == 404


def test_preferences_page_saves_the_choices(org, carol):
    client = login(carol)
    page = client.get("/o/acme/notifications/preferences/")
    assert page.status_code == 200 and 'data-tab="notifications"' in page.content.decode()
    r = client.post(
        "/o/acme/notifications/preferences/",
        {
            "email": ["task.assigned"],
            "chat": [],
            "digest": "on",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert r.status_code == 302
    from linkstar.notifications.models import NotificationPreference

    pref = NotificationPreference.objects.get(user=carol)
    assert pref.email_kinds == ["task.assigned"] and pref.chat_kinds == [] and pref.digest
    r = client.post("/o/acme/notifications/preferences/", {"quiet_start": "22:00"})
    assert r.status_code == 422 and "quiet_end" in r.content.decode()


def test_reminder_settings_page_is_for_administrators(org, alice, carol):
    assert login(carol).get("/o/acme/notifications/settings/").status_code == 403
    client = login(alice)
    assert 'data-tab="reminders"' in client.get("/o/acme/notifications/settings/").content.decode()
    r = client.post(
        "/o/acme/notifications/settings/", {"due_soon_days": "3, 1, 0", "stalled_days": "7"}
    )
    assert r.status_code == 302
    from linkstar.notifications.preferences import org_settings

    assert org_settings(org.pk).as_dict() == {
        "due_soon_days": [3, 1, 0],
        "stalled_days": 7,
        "reminder_time": "09:00",
        "coalesce_mail": True,
    }
    r = client.post("/o/acme/notifications/settings/", {"due_soon_days": "99", "stalled_days": "7"})
    assert r.status_code == 422


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_my_notifications_in_my_language(settled, org, carol, api):
    carol.language = "en"
    carol.save()
    mention(settled, org, carol, n=2)
    r = api(carol).get("/me/notifications", org="acme")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["unread"] == 2
    item = body["items"][0]
    assert item["kind"] == "comment.mention" and item["project_id"] == settled.pk
    assert settled.code in item["title"] and "mentioned you" in item["title"]
    assert item["link"] == f"/o/acme/projects/{settled.pk}/"
    assert item["url"].endswith(item["link"]) and item["read_at"] is None


def test_api_marks_read_by_id_and_all(settled, org, carol, dave, api):
    mention(settled, org, carol, dave, n=3)
    client = api(carol)
    ids = [i["id"] for i in client.get("/me/notifications").json()["items"]]
    theirs = Notification.objects.filter(recipient=dave).first().pk
    r = client.post("/me/notifications/read", {"ids": [ids[0], theirs]})
    assert r.json() == {"marked": 1, "unread": 2}
    assert client.get("/me/notifications", unread="true").json()["count"] == 2
    assert client.post("/me/notifications/read", {"all": True}).json() == {"marked": 2, "unread": 0}
    assert Notification.objects.filter(recipient=dave, read_at__isnull=True).count() == 3
    assert client.post("/me/notifications/read", {}).status_code == 422


def test_api_inbox_of_an_organization_not_mine_is_not_found(settled, mallory, api):
    assert api(mallory).get("/me/notifications", org="acme").status_code == 404


def test_api_preferences_and_settings_round_trip(org, alice, carol, api):
    client = api(carol)
    prefs = client.get("/orgs/acme/notification-preferences").json()
    assert prefs["in_app"] is True and "task.assigned" in prefs["email_kinds"]
    r = client.put(
        "/orgs/acme/notification-preferences",
        {"email_kinds": ["task.overdue"], "quiet_start": "21:30", "quiet_end": "08:00"},
    )
    assert r.status_code == 200
    assert r.json()["email_kinds"] == ["task.overdue"] and r.json()["quiet_start"] == "21:30"
    r = client.put("/orgs/acme/notification-preferences", {"email_kinds": ["nope"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email_kinds"
    assert client.get("/orgs/acme/notification-settings").status_code == 403
    admin = api(alice)
    assert admin.get("/orgs/acme/notification-settings").json() == {
        "due_soon_days": [2, 0],
        "stalled_days": 5,
        "reminder_time": "09:00",
        "coalesce_mail": True,
    }
    r = admin.put("/orgs/acme/notification-settings", {"stalled_days": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "stalled_days"


@pytest.mark.parametrize("n", [3, 30])
def test_api_inbox_costs_a_fixed_number_of_queries(
    settled, org, carol, api, n, django_assert_max_num_queries
):
    mention(settled, org, carol, n=n)
    client = api(carol)
    with django_assert_max_num_queries(8):
        assert client.get("/me/notifications").json()["count"] == n
