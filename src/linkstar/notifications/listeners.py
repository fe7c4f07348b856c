"""What notifications do when another app announces something: a person's personal data is
being erased (their preferences and in-app inbox go); a seller entity's personal data is being
erased (the file names its projects' events carry go)."""

from __future__ import annotations

from linkstar.core.announcements import ENTITY_ERASING, PERSON_ERASING, listen
from linkstar.notifications.models import Event, Notification, NotificationPreference

# What an event may carry about a document of the entity (``request.uploaded`` …).
FILE_KEYS = ("original_name",)


@listen(PERSON_ERASING)
def forget_person(*, user_id: int) -> None:
    NotificationPreference.objects.filter(user_id=user_id).delete()
    Notification.objects.filter(recipient_id=user_id).delete()


@listen(ENTITY_ERASING)
def forget_file_names(*, organization_id: int, entity_id: int, project_ids: list[int]) -> list:
    """Drop the uploaded files' names from the events and notifications of the entity's
    projects; the events themselves stay. Answers no file to delete."""
    for model, field in ((Event, "data"), (Notification, "params")):
        rows = model.objects.filter(organization_id=organization_id, project_id__in=project_ids)
        for row in rows.only("pk", field).iterator():
            values = dict(getattr(row, field) or {})
            if any(key in values for key in FILE_KEYS):
                for key in FILE_KEYS:
                    values.pop(key, None)
                model.objects.filter(pk=row.pk).update(**{field: values})
    return []
