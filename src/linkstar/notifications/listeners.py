"""What notifications do when another app announces something: a person's personal data is
being erased (their preferences and in-app inbox go)."""

from __future__ import annotations

from linkstar.core.announcements import PERSON_ERASING, listen
from linkstar.notifications.models import Notification, NotificationPreference


@listen(PERSON_ERASING)
def forget_person(*, user_id: int) -> None:
    NotificationPreference.objects.filter(user_id=user_id).delete()
    Notification.objects.filter(recipient_id=user_id).delete()
