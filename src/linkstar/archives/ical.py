"""A member's due dates as an iCalendar document (RFC 5545), for phone and desktop calendars."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from linkstar.archives import selectors
from linkstar.core import clock
from linkstar.core.actors import Actor


def _host() -> str:
    return urlparse(settings.LINKSTAR_BASE_URL).hostname or "linkstar.local"


def task_uid(task) -> str:
    """Stable across refreshes (and due-date changes), so a calendar updates the event in place."""
    return f"task-{task.pk}@{_host()}"


def calendar_for(actor: Actor) -> bytes:
    language = getattr(actor.user, "language", None) or settings.LANGUAGE_CODE
    org = actor.organization
    with translation.override(language):
        cal = Calendar()
        cal.add("prodid", "-//LinkStar//Due dates//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        name = _("LinkStar due dates — %(org)s") % {"org": org.name}
        cal.add("x-wr-calname", name)
        cal.add("x-wr-caldesc", _("Open tasks assigned to %(who)s") % {"who": actor.label})
        cal.add("x-wr-timezone", org.time_zone or "Asia/Shanghai")
        cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        stamp = clock.now().astimezone(dt.UTC)
        base = settings.LINKSTAR_BASE_URL
        for task in selectors.calendar_tasks(actor=actor).iterator(2000):
            project = task.project
            link = base + reverse("task_detail", kwargs={"org": org.slug, "task_id": task.pk})
            event = Event()
            event.add("uid", task_uid(task))
            event.add("dtstamp", stamp)
            event.add("dtstart", task.due_date)
            event.add("dtend", task.due_date + dt.timedelta(days=1))
            event.add("summary", f"[{project.code}] {task.display_title}")
            event.add(
                "description",
                "\n".join(
                    [
                        _("Project: %(code)s %(store)s")
                        % {"code": project.code, "store": project.store_name},
                        _("Site: %(site)s") % {"site": project.site.display_name},
                        _("Status: %(status)s") % {"status": task.get_status_display()},
                        link,
                    ]
                ),
            )
            event.add("url", link)
            event.add("transp", "TRANSPARENT")
            event.add("categories", [project.code])
            if task.updated_at:
                event.add("last-modified", task.updated_at.astimezone(dt.UTC))
            cal.add_component(event)
    return cal.to_ical()
