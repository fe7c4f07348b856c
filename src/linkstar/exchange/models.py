"""Imports (导入): one upload and its way through mapping, preview and the background run, and
the column mapping each organization last used per kind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.core.crypto import EncryptedJSONField
from linkstar.core.models import OrgOwned


class ImportKind(models.TextChoices):
    PROJECTS = "projects", _("Store projects")
    ENTITIES = "entities", _("Seller entities")
    MEMBERS = "members", _("Members")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", pgettext_lazy("import status", "Uploaded")  # mapping and preview
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Importing")
    DONE = "done", pgettext_lazy("import status", "Imported")
    FAILED = "failed", pgettext_lazy("import status", "Refused")  # errors when run: none imported


class ImportJob(OrgOwned):
    """One uploaded sheet. ``headers`` and ``rows`` hold the parsed table (each row is
    ``[sheet row number, [cells]]``, cells as text, numbers or ISO dates), so the file itself
    is not kept. ``mapping`` is ``{"columns": {"<index>": field}, "defaults": {...}}``.

    The rows hold whatever the tracker held — identity and registration numbers, initial
    passwords — so they are stored encrypted, and once the import is done only the rows the
    preview shows are kept, their guarded columns masked (``preview_only``)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sheet_name = models.CharField(max_length=255, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    rows = EncryptedJSONField(default=list)
    # True once the import is done: ``rows`` is then only the preview's rows, masked.
    preview_only = models.BooleanField(default=False)
    mapping = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    phase = models.CharField(max_length=16, blank=True)  # checking | saving
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # [{"row": sheet row, "column": header, "field": field, "message": text}]
    errors = models.JSONField(default=list)
    # The rows as the preview resolved them (ids, dates, states) when it found no error, with
    # the fingerprint of the rows and mapping it checked: the run reuses it instead of
    # resolving every row again, as long as the file and the mapping are unchanged.
    plan = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed / self.total))


class ImportMapping(OrgOwned):
    """The mapping an organization last confirmed for a kind of import: header text (normalised)
    → field, and the defaults (template, start date…), offered again on the next upload."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    columns = models.JSONField(default=dict)
    defaults = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"], name="uniq_import_mapping_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind}"
