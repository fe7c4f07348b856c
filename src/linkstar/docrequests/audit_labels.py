"""The words of the audit events of document requests (补料请求)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels
from linkstar.catalog.models import DocumentType
from linkstar.docrequests.models import ItemStatus, RequestStatus


def _type_names(codes) -> dict[str, str]:
    return {t.code: t.display_name for t in DocumentType.objects.filter(code__in=list(codes))}


def _items_text(value) -> str:
    items = [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []
    names = _type_names({i.get("document_type") for i in items})
    return "; ".join(
        names.get(i.get("document_type"), str(i.get("document_type")))
        + (f" ({i['note']})" if i.get("note") else "")
        for i in items
    )


def _type_text(value) -> str:
    return _type_names([value]).get(value, str(value))


labels.register(
    actions={
        "docrequest.opened": _("Documents requested of the client"),
        "docrequest.uploaded": _("Requested document uploaded"),
        "docrequest.accepted": _("Requested document accepted"),
        "docrequest.rejected": _("Requested document sent back"),
        "docrequest.completed": _("Document request complete"),
        "docrequest.cancelled": _("Document request withdrawn"),
        "docrequest.link_created": _("Upload link made"),
        "docrequest.link_revoked": _("Upload link withdrawn"),
        "docrequest.link_used": _("Upload link used"),
    },
    groups={"docrequest.": _("Document requests: all")},
    # the links handed out and their uses (with the addresses) are the agency's business
    internal={"docrequest.link_"},
    object_types={"documentrequest": pgettext_lazy("audit", "Document request")},
    fields={
        "items": pgettext_lazy("audit", "Documents asked for"),
        "document_type": pgettext_lazy("audit", "Document type"),
        "original_name": pgettext_lazy("audit", "File name"),
        "size": pgettext_lazy("audit", "Size (bytes)"),
        "sha256": "SHA-256",
        "message": pgettext_lazy("audit", "Message to the client"),
        "item_id": pgettext_lazy("audit", "Requested document"),
        "item_status": pgettext_lazy("audit", "Requested document's state"),
        "upload_id": pgettext_lazy("audit", "Upload"),
        "document_id": pgettext_lazy("audit", "Vault document"),
        "replaced_uploads": pgettext_lazy("audit", "Replaced uploads"),
        "link_id": pgettext_lazy("audit", "Upload link"),
        "expires_at": pgettext_lazy("audit", "Expires"),
        "use": pgettext_lazy("audit", "Use"),
        "documentrequest.status": pgettext_lazy("audit", "Request status"),
    },
    values={
        "status": {"documentrequest": RequestStatus.choices},
        "item_status": ItemStatus.choices,
        "use": [
            ("opened", pgettext_lazy("upload link use", "opened")),
            ("uploaded", pgettext_lazy("upload link use", "uploaded")),
            ("refused", pgettext_lazy("upload link use", "upload refused")),
        ],
    },
    formatters={
        "items": _items_text,
        "document_type": _type_text,
        "item_id": lambda value: f"#{value}",
        "upload_id": lambda value: f"#{value}",
        "document_id": lambda value: f"#{value}",
        "link_id": lambda value: f"#{value}",
    },
    sentences={
        "docrequest.opened": _("asked the client for documents"),
        "docrequest.uploaded": _("uploaded a requested document"),
        "docrequest.accepted": _("accepted a requested document"),
        "docrequest.rejected": _("sent a requested document back"),
        "docrequest.completed": _("completed the document request"),
        "docrequest.cancelled": _("withdrew the document request"),
        "docrequest.link_created": _("made an upload link for the client"),
        "docrequest.link_revoked": _("withdrew an upload link"),
        "docrequest.link_used": _("used the upload link"),
    },
)
