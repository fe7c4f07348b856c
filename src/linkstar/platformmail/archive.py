"""What a project archive (issue 6) takes of a project's platform mail. (Interface fixed; body
by the platform-mail work.)"""

from __future__ import annotations


def mail_for_archive(project) -> list[tuple[str, bytes]]:
    """The project's platform mail as files for its archive: ``("mail/<date>-<id>.eml", raw)``
    for each message and ``("mail/index.csv", ...)`` listing date, sender, subject, file."""
    return []
