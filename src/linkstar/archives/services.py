"""Writes of the archives app: requesting, building, downloading and expiring project archives,
and making or revoking a personal calendar feed.

Rules:
- An archive may be requested by administrators and auditors, and by a manager for projects
  they manage (``archive.create`` on every project in it). Its projects are fixed when it is
  requested; the archive is built in the background as the requester sees them.
- Only the requester and the organization's administrators may download it, and only while
  they still see every project in it; anyone else gets "not found". After
  ``LINKSTAR_ARCHIVE_TTL_HOURS`` it is gone (410 ``archive_expired``) and the cleanup job deletes
  its file.
- ``archive.requested`` is audited; ``archive.downloaded`` the first time each person downloads
  a given archive (repeat downloads of the same bytes by the same person are counted on the job,
  not audited again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import tempfile
import uuid

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkstar.accounts.models import Membership
from linkstar.archives.builder import ArchiveWriter, write_project
from linkstar.archives.models import ArchiveDownload, ArchiveJob, ArchiveStatus, CalendarFeed
from linkstar.audit.services import record
from linkstar.core import clock, jobs, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, DomainError, FieldError, InvalidInput, NotFound
from linkstar.documents.services import document_storage
from linkstar.platformmail.archive import mail_for_archive
from linkstar.projects import selectors as project_selectors
from linkstar.projects import visibility

log = logging.getLogger(__name__)

STORAGE_PREFIX = "archives"
FEED_PREFIX = "lscal_"
FILTER_KEYS = ("site", "platform", "stage", "status", "manager", "entity", "overdue", "q", "order")


class Gone(DomainError):
    status = 410
    code = "archive_expired"
    default_detail = gettext_lazy("This archive has expired; request a new one.")


def max_projects() -> int:
    return settings.LINKSTAR_ARCHIVE_MAX_PROJECTS


def ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.LINKSTAR_ARCHIVE_TTL_HOURS)


# --- requesting ---------------------------------------------------------------------------------


def _clean_filters(filters: dict) -> dict:
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise InvalidInput(
            FieldError(
                f"filters.{unknown[0]}",
                _("Unknown filter; use one of: %s.") % ", ".join(FILTER_KEYS),
            )
        )
    clean = {k: v for k, v in filters.items() if v not in (None, "")}
    for key in ("manager", "entity"):
        if key in clean:
            try:
                clean[key] = int(clean[key])
            except (TypeError, ValueError):
                raise InvalidInput(
                    FieldError(f"filters.{key}", _("Enter a whole number."))
                ) from None
    if "overdue" in clean:
        clean["overdue"] = str(clean["overdue"]).lower() in ("1", "true", "yes", "on")
    return clean


def _resolve_projects(actor: Actor, project_ids, filters) -> tuple[list, dict]:
    if (project_ids is None) == (filters is None):
        raise InvalidInput(
            FieldError("project_ids", _("Send either a list of project ids or filters."))
        )
    if project_ids is not None:
        ids = list(dict.fromkeys(int(i) for i in project_ids))
        if not ids:
            raise InvalidInput(FieldError("project_ids", _("Choose at least one project.")))
        found = {
            p.pk: p
            for p in visibility.visible_projects(actor)
            .filter(pk__in=ids)
            .only("id", "organization_id", "manager_id", "code")
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidInput(
                FieldError("project_ids", _("No such project: %(id)s.") % {"id": missing[0]})
            )
        return [found[i] for i in ids], {}
    clean = _clean_filters(dict(filters))
    projects = list(
        project_selectors.project_list(actor=actor, **clean)
        .select_related(None)
        .prefetch_related(None)
        .only("id", "organization_id", "manager_id", "code")[: max_projects() + 1]
    )
    if not projects:
        raise InvalidInput(FieldError("filters", _("No project matches these filters.")))
    return projects, clean


@transaction.atomic
def request_archive(
    *, actor: Actor, project_ids: list[int] | None = None, filters: dict | None = None
) -> ArchiveJob:
    """Queue the archive of the given projects (or of those the project-list filters match)."""
    policy.require(actor, "archive.create")
    projects, clean = _resolve_projects(actor, project_ids, filters)
    if len(projects) > max_projects():
        raise InvalidInput(
            FieldError(
                "project_ids" if project_ids is not None else "filters",
                _("An archive holds at most %(n)s projects; narrow the filters.")
                % {"n": max_projects()},
            )
        )
    for project in projects:
        policy.require(actor, "archive.create", project)
    job = ArchiveJob.objects.create(
        organization=actor.organization,
        requested_by=actor.user,
        filters=clean,
        project_ids=[p.pk for p in projects],
        total=len(projects),
    )
    record(
        actor=actor,
        action="archive.requested",
        obj=job,
        changes={
            "project_ids": {"before": None, "after": job.project_ids},
            "filters": {"before": None, "after": clean or None},
        },
        project_id=projects[0].pk if len(projects) == 1 else None,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    jobs.enqueue("archives.build_archive_job", job_id)


# --- building -----------------------------------------------------------------------------------


def _requester_actor(job: ArchiveJob) -> Actor | None:
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=job.organization_id, user_id=job.requested_by_id)
        .first()
    )
    if membership is None or not membership.user.is_active:
        return None
    return Actor.from_membership(membership, via="worker")


def build_archive(*, job_id: int) -> ArchiveJob:
    """Build a queued archive (idempotent: a job already built, failed or taken is left alone)."""

    taken = ArchiveJob.objects.filter(pk=job_id, status=ArchiveStatus.QUEUED).update(
        status=ArchiveStatus.RUNNING, started_at=clock.now(), processed=0
    )
    job = ArchiveJob.objects.select_related("organization").get(pk=job_id)
    if not taken:
        return job
    try:
        actor = _requester_actor(job)
        if actor is None:
            raise Conflict(_("The member who requested this archive has left the organization."))
        visible = set(
            visibility.visible_projects(actor)
            .filter(pk__in=job.project_ids)
            .values_list("pk", flat=True)
        )
        if visible != set(job.project_ids):
            raise Conflict(_("Some of these projects are no longer visible to the requester."))
        with tempfile.TemporaryFile() as out:
            writer = ArchiveWriter(out)
            summaries = []
            for i, project_id in enumerate(job.project_ids, start=1):
                summaries.append(
                    write_project(
                        writer, actor=actor, project_id=project_id, mail_source=mail_for_archive
                    )
                )
                ArchiveJob.objects.filter(pk=job.pk).update(processed=i)
            created = clock.now()
            writer.finish(
                {
                    "format": "linkstar.archive",
                    "format_version": 1,
                    "archive_id": job.pk,
                    "organization": job.organization.slug,
                    "requested_by": actor.label,
                    "created_at": created.isoformat(),
                    "filters": job.filters or None,
                    "projects": summaries,
                }
            )
            file_count = len(writer.entries) + 1
            out.seek(0)
            digest, size = hashlib.sha256(), 0
            while chunk := out.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
            out.seek(0)
            name = f"{STORAGE_PREFIX}/{job.organization_id}/{uuid.uuid4().hex}.zip"
            stored = document_storage().save(name, File(out, name=name))
        stamp = created.astimezone(dt.UTC).strftime("%Y%m%d-%H%M")
        finished = clock.now()
        label = summaries[0]["folder"] if len(summaries) == 1 else f"{len(summaries)}-projects"
        ArchiveJob.objects.filter(pk=job.pk).update(
            status=ArchiveStatus.DONE,
            storage_name=stored,
            file_name=f"linkstar-archive-{label}-{stamp}.zip",
            size=size,
            sha256=digest.hexdigest(),
            file_count=file_count,
            processed=len(summaries),
            finished_at=finished,
            expires_at=finished + ttl(),
            error="",
        )
    except Exception as exc:
        log.exception("archive %s failed", job_id)
        detail = (
            exc.detail if isinstance(exc, DomainError) else _("The archive could not be built.")
        )
        ArchiveJob.objects.filter(pk=job.pk).update(
            status=ArchiveStatus.FAILED, error=str(detail)[:2000], finished_at=clock.now()
        )
    job.refresh_from_db()
    return job


# --- downloading --------------------------------------------------------------------------------


def check_downloadable(*, actor: Actor, job: ArchiveJob) -> None:
    """Who may take the file (see the module's rules); raises the error to answer with."""
    if job.organization_id != actor.organization.pk:
        raise NotFound()
    if not (actor.is_admin or job.requested_by_id == actor.user_id):
        raise NotFound()
    visible = visibility.visible_projects(actor).filter(pk__in=job.project_ids).count()
    if visible != len(job.project_ids):
        raise NotFound()
    if job.status == ArchiveStatus.EXPIRED or (
        job.expires_at is not None and job.expires_at <= clock.now()
    ):
        raise Gone()
    if job.status != ArchiveStatus.DONE:
        raise Conflict(_("This archive is not ready yet."), code="archive_not_ready")


def open_archive(*, actor: Actor, job: ArchiveJob):
    """The archive's file, opened for reading, once the actor is allowed; the download is
    counted and, the first time for this person, audited."""
    check_downloadable(actor=actor, job=job)
    try:
        handle = document_storage().open(job.storage_name, "rb")
    except (FileNotFoundError, OSError):
        raise Gone() from None
    now = clock.now()
    with transaction.atomic():
        download, created = ArchiveDownload.objects.get_or_create(
            job=job, user=actor.user, defaults={"first_at": now, "last_at": now}
        )
        if not created:
            ArchiveDownload.objects.filter(pk=download.pk).update(last_at=now, count=F("count") + 1)
        ArchiveJob.objects.filter(pk=job.pk).update(download_count=F("download_count") + 1)
        if created:
            record(
                actor=actor,
                action="archive.downloaded",
                obj=job,
                changes={
                    "file": {"before": None, "after": job.file_name},
                    "sha256": {"before": None, "after": job.sha256},
                    "size": {"before": None, "after": job.size},
                },
                project_id=job.project_ids[0] if len(job.project_ids) == 1 else None,
            )
    return handle


# --- expiry -------------------------------------------------------------------------------------


def cleanup_expired_archives() -> int:
    """Delete the files of archives past their expiry; safe to run twice at once (each job is
    claimed by one conditional update before its file is deleted)."""
    now = clock.now()
    storage = document_storage()
    deleted = 0
    for job_id, name in ArchiveJob.objects.filter(
        status=ArchiveStatus.DONE, expires_at__lte=now
    ).values_list("pk", "storage_name"):
        claimed = ArchiveJob.objects.filter(pk=job_id, status=ArchiveStatus.DONE).update(
            status=ArchiveStatus.EXPIRED, storage_name=""
        )
        if not claimed:
            continue
        if name:
            try:
                storage.delete(name)
            except OSError:
                log.warning("could not delete expired archive file %s", name)
        deleted += 1
    return deleted


# --- calendar feed ------------------------------------------------------------------------------


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def create_calendar_feed(*, actor: Actor) -> tuple[CalendarFeed, str]:
    """A new secret feed address for the actor in this organization; an older one stops working.
    The raw token is returned once; only its hash is kept."""
    if actor.user is None:
        raise InvalidInput(FieldError("user", _("Only a person has a calendar.")))
    now = clock.now()
    old = list(
        CalendarFeed.objects.select_for_update().filter(
            organization=actor.organization, user=actor.user, revoked_at__isnull=True
        )
    )
    CalendarFeed.objects.filter(pk__in=[f.pk for f in old]).update(revoked_at=now)
    raw = FEED_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        organization=actor.organization,
        user=actor.user,
        token_hash=hash_feed_token(raw),
        prefix=raw[:12],
    )
    record(
        actor=actor,
        action="calendar_feed.created",
        obj=feed,
        changes={
            "prefix": {"before": old[0].prefix if old else None, "after": feed.prefix},
        },
    )
    return feed, raw


@transaction.atomic
def revoke_calendar_feed(*, actor: Actor) -> CalendarFeed:
    """Stop the actor's feed in this organization: its address answers 404 from now on."""
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(organization=actor.organization, user_id=actor.user_id, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        raise NotFound(_("You have no calendar feed in this organization."))
    feed.revoked_at = clock.now()
    feed.save(update_fields=["revoked_at", "updated_at"])
    record(
        actor=actor,
        action="calendar_feed.revoked",
        obj=feed,
        changes={"revoked_at": {"before": None, "after": feed.revoked_at}},
    )
    return feed


def feed_for_token(raw: str) -> tuple[CalendarFeed, Actor]:
    """The live feed a token opens, and its owner as a member (``NotFound`` otherwise)."""
    if not raw or not raw.startswith(FEED_PREFIX) or len(raw) > 100:
        raise NotFound()
    feed = (
        CalendarFeed.objects.filter(token_hash=hash_feed_token(raw), revoked_at__isnull=True)
        .only("id", "organization_id", "user_id", "last_used_at")
        .first()
    )
    if feed is None:
        raise NotFound()
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=feed.organization_id, user_id=feed.user_id, user__is_active=True)
        .first()
    )
    if membership is None:
        raise NotFound()
    now = clock.now()
    if feed.last_used_at is None or now - feed.last_used_at > dt.timedelta(minutes=10):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed, Actor.from_membership(membership, via="calendar")
