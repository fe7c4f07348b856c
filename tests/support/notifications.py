"""Processing the events a test's services published, and reading who was notified."""

from __future__ import annotations

from linkstar.delivery.fanout import process_event
from linkstar.notifications.models import Event, Notification
from linkstar.projects.services import update_task


def process_all() -> list[Notification]:
    """Fan out every event not yet processed (what the worker does after commit)."""
    made = []
    for event_id in (
        Event.objects.filter(processed_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    ):
        made.extend(process_event(event_id))
    return made


def told(kind: str | None = None) -> set[str]:
    """The logins of the people notified (of ``kind``)."""
    qs = Notification.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return {n.recipient.email.split("@")[0] for n in qs.select_related("recipient")}


def assign(project, as_bob, user, position=0):
    task = project.tasks.order_by("position")[position]
    update_task(actor=as_bob, task=task, assignee_id=user.pk)
    process_all()
    return task
