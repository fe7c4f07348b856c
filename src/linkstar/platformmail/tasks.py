"""Background jobs: the IMAP poller, one job per account, enqueued by a periodic job."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks import task

from linkstar.platformmail.imap import poll_account
from linkstar.platformmail.models import MailAccount
from linkstar.worker.schedule import Periodic


@task()
def poll_mail_account(account_id: int) -> dict:
    account = MailAccount.objects.select_related("organization").filter(pk=account_id).first()
    if account is None:
        return {"account_id": account_id, "skipped": True}
    result = poll_account(account=account)
    return {
        "account_id": account_id,
        "imported": result.imported,
        "duplicates": result.duplicates,
        "error": result.error,
        "skipped": result.skipped,
    }


@task()
def poll_mailboxes() -> int:
    """Enqueue a poll of every enabled mail account; each runs under its own lease."""

    ids = list(MailAccount.objects.filter(enabled=True).values_list("pk", flat=True))
    for account_id in ids:
        poll_mail_account.enqueue(account_id)
    return len(ids)


PERIODIC = [
    Periodic(
        name="platformmail.poll",
        every=dt.timedelta(minutes=settings.LINKSTAR_MAIL_POLL_MINUTES),
        task=poll_mailboxes,
    )
]
