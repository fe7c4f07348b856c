"""The IMAP poller: fetch the messages that arrived since the last poll and import each one.

Safe with two workers: an account is polled under a lease (a conditional UPDATE decides who).
Idempotent: only UIDs above ``last_uid`` (for the same UIDVALIDITY) are fetched, ``last_uid``
advances after each imported message, and a message fetched twice is imported once anyway.
A failure (server down, wrong password) is recorded on the account and never raised to the
worker."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from imapclient import IMAPClient

from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.platformmail.models import MailAccount, Security, Source
from linkstar.platformmail.services import ingest_message

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)


@dataclass
class PollResult:
    account_id: int
    imported: int = 0
    duplicates: int = 0
    error: str = ""
    skipped: bool = False  # another worker holds the lease, or the account is disabled


def connect(account: MailAccount) -> IMAPClient:
    timeout = settings.LINKSTAR_MAIL_IMAP_TIMEOUT
    use_ssl = account.security == Security.SSL
    context = ssl.create_default_context() if account.security != Security.NONE else None
    client = IMAPClient(
        account.host, port=account.port, ssl=use_ssl, ssl_context=context, timeout=timeout
    )
    if account.security == Security.STARTTLS:
        client.starttls(context)
    client.login(account.username, account.password or "")
    return client


def _claim(account: MailAccount) -> bool:
    now = clock.now()
    return bool(
        MailAccount.objects.filter(pk=account.pk, enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def poll_account(*, account: MailAccount) -> PollResult:
    """Import what arrived in ``account``'s folder since the last poll."""

    result = PollResult(account_id=account.pk)
    if not _claim(account):
        result.skipped = True
        return result
    account.refresh_from_db()
    client = None
    try:
        client = connect(account)
        selected = client.select_folder(account.folder, readonly=True)
        validity = int(selected.get(b"UIDVALIDITY", 0) or 0)
        if account.uid_validity != validity:
            # The server renumbered the folder: start over (duplicates are skipped anyway).
            account.uid_validity, account.last_uid = validity, 0
            MailAccount.objects.filter(pk=account.pk).update(uid_validity=validity, last_uid=0)
        uids = sorted(u for u in client.search(["UID", f"{account.last_uid + 1}:*"]))
        uids = [u for u in uids if u > account.last_uid][: settings.LINKSTAR_MAIL_POLL_BATCH]
        for start in range(0, len(uids), 20):
            chunk = uids[start : start + 20]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                data = fetched.get(uid, {})
                raw = data.get(b"BODY[]") or b""
                outcome = ingest_message(
                    organization=account.organization,
                    raw=raw,
                    source=Source.IMAP,
                    account=account,
                    imap_uid=uid,
                )
                if outcome.created:
                    result.imported += 1
                else:
                    result.duplicates += 1
                account.last_uid = uid
                MailAccount.objects.filter(pk=account.pk).update(last_uid=uid)
    except Exception as exc:  # recorded on the account; the worker carries on
        log.warning("polling mail account %s failed: %s", account.pk, exc)
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        if client is not None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                client.logout()
    now = clock.now()
    update = {
        "lease_until": None,
        "last_polled_at": now,
        "last_error": result.error,
        "last_imported": result.imported,
    }
    if not result.error:
        update["last_ok_at"] = now
    MailAccount.objects.filter(pk=account.pk).update(**update)
    return result


def poll_all() -> list[PollResult]:
    """Every enabled account of every organization (the periodic job calls this)."""
    results = []
    for account in MailAccount.objects.filter(enabled=True).select_related("organization"):
        results.append(poll_account(account=account))
    return results


@dataclass
class ConnectionCheck:
    ok: bool
    detail: str
    messages: int | None = None


def test_connection(*, actor: Actor, account: MailAccount) -> ConnectionCheck:
    """Log in, open the folder and count its messages; changes nothing (``mail.settings``)."""
    policy.require(actor, "mail.settings", account)
    client = None
    try:
        client = connect(account)
        selected = client.select_folder(account.folder, readonly=True)
        count = int(selected.get(b"EXISTS", 0) or 0)
    except Exception as exc:
        return ConnectionCheck(False, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.logout()
    return ConnectionCheck(
        True,
        _("Connected; the folder %(f)s holds %(n)d messages.") % {"f": account.folder, "n": count},
        count,
    )


test_connection.__test__ = False  # not a pytest test, despite its name
