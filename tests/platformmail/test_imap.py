"""The IMAP poller against a real dovecot on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests.support.mail import MALFORMED_TEXT, chinese_message, english_message, pdf_bytes

from linkstar.platformmail.imap import poll_account, poll_all, test_connection
from linkstar.platformmail.models import InboundMessage, MailAccount
from linkstar.platformmail.services import create_mail_account, set_project_mailbox
from linkstar.platformmail.tasks import PERIODIC

ADDRESS = "xinghe-us@register.example.com"


@pytest.fixture
def account(imap_server, as_alice) -> MailAccount:
    return create_mail_account(
        actor=as_alice,
        name="Registration mailbox",
        host=imap_server.host,
        port=imap_server.port,
        security="none",
        username=imap_server.user,
        password=imap_server.password,
    )


def test_the_poller_imports_each_message_once(imap_server, account, project, as_bob):
    set_project_mailbox(actor=as_bob, project=project, address=ADDRESS)
    english = english_message(to=ADDRESS)
    imap_server.deliver(chinese_message(to=ADDRESS))
    imap_server.deliver(english)
    imap_server.deliver(
        english_message(
            to=ADDRESS, subject="Documents", message_id="<pdf-1@amazon.com>", pdf=pdf_bytes()
        )
    )
    imap_server.deliver(MALFORMED_TEXT)
    imap_server.deliver(english)  # a duplicate

    result = poll_account(account=account)

    assert result.error == "" and not result.skipped
    assert (result.imported, result.duplicates) == (4, 1)
    messages = InboundMessage.objects.order_by("imap_uid")
    assert messages.count() == 4
    subjects = {m.subject for m in messages}
    assert "亚马逊卖家身份验证：需要补充资料" in subjects
    assert "Your application is under review" in subjects
    assert messages.filter(parse_status="unparsable").count() == 1
    assert messages.filter(project=project).count() == 3
    pdf_mail = messages.get(subject="Documents")
    assert pdf_mail.attachments.get().document_id is not None
    account.refresh_from_db()
    assert account.last_uid == 5 and account.uid_validity
    assert account.last_error == "" and account.last_imported == 4
    assert account.lease_until is None

    again = poll_account(account=account)
    assert (again.imported, again.duplicates, again.error) == (0, 0, "")
    assert InboundMessage.objects.count() == 4

    imap_server.deliver(english_message(to=ADDRESS, message_id="<late@amazon.com>"))
    later = poll_account(account=account)
    assert later.imported == 1
    assert InboundMessage.objects.count() == 5


def test_a_wrong_password_is_recorded_on_the_account_not_raised(imap_server, account):
    MailAccount.objects.filter(pk=account.pk).update(password="wrong")
    account.refresh_from_db()
    result = poll_account(account=account)
    assert result.error
    account.refresh_from_db()
    assert account.last_error and account.last_ok_at is None
    assert account.lease_until is None


def test_an_unreachable_server_is_recorded_not_raised(org, as_alice):
    account = create_mail_account(
        actor=as_alice, name="down", host="127.0.0.1", port=1, security="none",
        username="x", password="y",
    )  # fmt: skip
    results = poll_all()
    assert [r.account_id for r in results] == [account.pk]
    account.refresh_from_db()
    assert "Error" in account.last_error or "refused" in account.last_error.lower()


def test_an_account_leased_by_another_worker_is_skipped(imap_server, account):
    from linkstar.core import clock

    MailAccount.objects.filter(pk=account.pk).update(
        lease_until=clock.now() + __import__("datetime").timedelta(minutes=5)
    )
    assert poll_account(account=account).skipped


def test_test_connection_counts_the_folder(imap_server, account, as_alice):
    imap_server.deliver(english_message(to=ADDRESS))
    check = test_connection(actor=as_alice, account=account)
    assert check.ok and check.messages == 1
    MailAccount.objects.filter(pk=account.pk).update(password="wrong")
    account.refresh_from_db()
    assert not test_connection(actor=as_alice, account=account).ok


def test_the_poll_is_a_periodic_job():
    assert [p.name for p in PERIODIC] == ["platformmail.poll"]


def test_the_password_is_stored_encrypted(account):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM platformmail_mailaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "imap-secret" not in stored
