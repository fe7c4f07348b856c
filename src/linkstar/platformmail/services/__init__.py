"""Every write on platform mail: bringing a message in (one path for IMAP, upload and the API),
assigning unmatched mail, the stage proposals a person accepts or dismisses, and the settings
(project mailbox addresses, IMAP accounts, keyword rules).

A message is imported once per organization (same Message-ID or same bytes → the existing
one). Its raw bytes are kept as written; a message that cannot be read is kept as
``unparsable`` with the reason. Nothing here moves a project's stage: a keyword rule only
proposes, and accepting runs ``change_stage`` as the person who accepts.
"""

import logging

from linkstar.platformmail.services.intake import (
    OPEN_STAGES,
    IngestResult,
    assign_message,
    ingest_message,
)
from linkstar.platformmail.services.mailboxes import (
    ACCOUNT_FIELDS,
    create_mail_account,
    delete_mail_account,
    set_project_mailbox,
    update_mail_account,
)
from linkstar.platformmail.services.matched import MAIL_DOCUMENT_TYPE
from linkstar.platformmail.services.proposals import (
    accept_proposal,
    create_keyword_rule,
    delete_keyword_rule,
    dismiss_proposal,
)

log = logging.getLogger(__name__)

__all__ = [
    "ACCOUNT_FIELDS",
    "MAIL_DOCUMENT_TYPE",
    "OPEN_STAGES",
    "IngestResult",
    "accept_proposal",
    "assign_message",
    "create_keyword_rule",
    "create_mail_account",
    "delete_keyword_rule",
    "delete_mail_account",
    "dismiss_proposal",
    "ingest_message",
    "set_project_mailbox",
    "update_mail_account",
]
