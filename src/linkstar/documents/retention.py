"""Retention of closed projects' documents: an organization may keep the files of documents used
only by closed projects for a number of months after the last of them closed (``None``: for
ever, the default). A daily job deletes the files past that period; the rows stay (type, dates,
version) so that attachments and history still read, marked ``file_removed_at``.

A document is past retention when it is attached to at least one task, every project it is
attached to was closed before the cut-off, and its seller entity has no open project (an open
project may still use it). Documents never attached to a task are the entity's own vault and are
not touched. Each run writes one audit event per organization that lost files, with counts only.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from linkstar.accounts.models import Organization
from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.documents.models import Document, DocumentRetention
from linkstar.documents.privacy import delete_files_on_commit
from linkstar.projects.models import ProjectStatus, StoreProject

MAX_MONTHS = 1200


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same moment ``months`` calendar months earlier (the 31st becomes the month's last)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_months(organization) -> int | None:
    row = DocumentRetention.objects.filter(organization=organization).first()
    return row.months if row is not None else None


@transaction.atomic
def set_retention(*, actor: Actor, months: int | None) -> DocumentRetention:
    """Administrators set how many months the files of documents used only by closed projects
    are kept after the projects closed (1 to 1200; ``None`` keeps them for ever). Audited."""
    policy.require(actor, "document.retention")
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS
    ):
        raise InvalidInput(
            FieldError(
                "months",
                _("Enter a number of months from 1 to %(n)d, or leave it empty to keep them.")
                % {"n": MAX_MONTHS},
            )
        )
    row, _created = DocumentRetention.objects.select_for_update().get_or_create(
        organization=actor.organization
    )
    before = row.months
    if before != months:
        row.months = months
        row.save()
        record(
            actor=actor,
            action="documents.retention_changed",
            object_type="organization",
            object_id=actor.organization.pk,
            changes={"months": {"before": before, "after": months}},
        )
    return row


def expired_documents(organization, *, now: dt.datetime, months: int):
    """The documents of ``organization`` whose files are past retention (see the module)."""
    cutoff = months_before(now, months)
    keeping = StoreProject.objects.filter(organization=organization).filter(
        ~Q(status=ProjectStatus.CLOSED) | Q(closed_at__isnull=True) | Q(closed_at__gt=cutoff)
    )
    open_projects = StoreProject.objects.filter(organization=organization).exclude(
        status=ProjectStatus.CLOSED
    )
    return (
        Document.objects.filter(organization=organization, file_removed_at__isnull=True)
        .exclude(storage_name="")
        .filter(attachments__isnull=False)
        .exclude(attachments__task__project__in=keeping)
        .exclude(entity_id__in=open_projects.values("entity_id"))
        .distinct()
    )


@transaction.atomic
def apply_retention(organization, *, now: dt.datetime | None = None) -> int:
    """Delete the files of the organization's documents past retention (after commit); answer
    how many documents lost their file."""
    months = retention_months(organization)
    if months is None:
        return 0
    now = now or clock.now()
    ids = list(expired_documents(organization, now=now, months=months).values_list("pk", flat=True))
    if not ids:
        return 0
    documents = Document.objects.select_for_update().filter(pk__in=ids)
    names = [n for n in documents.values_list("storage_name", flat=True) if n]
    size = sum(documents.values_list("size", flat=True))
    count = documents.update(storage_name="", is_current=False, file_removed_at=now, updated_at=now)
    record(
        actor=Actor.system(organization, via="scheduler"),
        action="documents.retention_applied",
        object_type="organization",
        object_id=organization.pk,
        changes={
            "months": {"before": months, "after": months},
            "files_deleted": {"before": 0, "after": count},
            "bytes_deleted": {"before": 0, "after": size},
        },
    )
    delete_files_on_commit(names)
    return count


def apply_retention_everywhere(*, now: dt.datetime | None = None) -> dict[int, int]:
    """The daily job: every organization that set a retention period, one transaction each."""
    done = {}
    org_ids = DocumentRetention.objects.filter(months__isnull=False).values_list(
        "organization_id", flat=True
    )
    for organization in Organization.objects.filter(pk__in=list(org_ids)):
        done[organization.pk] = apply_retention(organization, now=now)
    return done
