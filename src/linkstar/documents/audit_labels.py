"""The words of the audit events of the document vault."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels

labels.register(
    actions={
        "document.uploaded": _("Document uploaded"),
        "document.superseded": _("Document superseded by a new version"),
        "document.attached": _("Document attached to a task"),
        "document.detached": _("Document detached from a task"),
        "documents.retention_changed": _("Document retention changed"),
        "documents.retention_applied": _("Files of closed projects' documents deleted (retention)"),
    },
    fields={
        "organization.months": pgettext_lazy("audit", "Retention (months)"),
        "organization.files_deleted": pgettext_lazy("audit", "Files deleted"),
        "organization.bytes_deleted": pgettext_lazy("audit", "Bytes deleted"),
    },
    groups={"document.": _("Documents: all")},
)
