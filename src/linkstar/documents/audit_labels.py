"""The words of the audit events of the document vault."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.audit import labels

labels.register(
    actions={
        "document.uploaded": _("Document uploaded"),
        "document.superseded": _("Document superseded by a new version"),
        "document.attached": _("Document attached to a task"),
        "document.detached": _("Document detached from a task"),
    },
    groups={"document.": _("Documents: all")},
)
