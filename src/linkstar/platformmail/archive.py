"""What a project archive (issue 6) takes of a project's platform mail. (Interface fixed; body
by the platform-mail work.)"""

from __future__ import annotations

import csv
import io
import logging

from linkstar.platformmail.models import InboundMessage
from linkstar.platformmail.storage import read_raw

log = logging.getLogger(__name__)


def mail_for_archive(project) -> list[tuple[str, bytes]]:
    """The project's platform mail as files for its archive: ``("mail/<date>-<id>.eml", raw)``
    for each message and ``("mail/index.csv", ...)`` listing date, sender, subject, file."""

    messages = InboundMessage.objects.filter(
        organization_id=project.organization_id, project_id=project.pk
    ).order_by("created_at", "id")
    files: list[tuple[str, bytes]] = []
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["date", "from", "subject", "file", "parse_status"])
    for message in messages.iterator(200):
        when = message.sent_or_received
        name = f"mail/{when:%Y%m%d}-{message.pk}.eml"
        try:
            raw = read_raw(message)
        except OSError:  # a missing file must not lose the rest of the archive
            log.warning("raw mail %s of project %s is missing", message.pk, project.pk)
            name = ""
        else:
            files.append((name, raw))
        writer.writerow(
            [
                when.isoformat(),
                message.from_address,
                message.subject,
                name,
                message.parse_status,
            ]
        )
    if not files and not messages.exists():
        return []
    files.append(("mail/index.csv", index.getvalue().encode("utf-8-sig")))
    return files
