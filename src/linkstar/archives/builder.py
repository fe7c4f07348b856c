"""The contents of a project archive (.zip), written file by file with a manifest.

Layout, one folder per project (named by its code)::

    manifest.json                      every other file: path, size, SHA-256
    <code>/project.json                fields, team, entity (masked), template version and its
                                       blueprints, tasks with dependencies, approvals, stage changes
    <code>/tasks.csv
    <code>/history.csv                 stage changes and audit events, oldest first
    <code>/audit.json                  the project's audit events (with their chain hashes)
    <code>/comments.json
    <code>/document_requests.csv       each document asked of the client and where it stands
                                       (the requests, items and uploads also in project.json)
    <code>/mail/...                    the project's platform mail (platformmail.archive)
    <code>/documents/<id>-<name>       the documents it used: task attachments and the entity's
                                       current documents of the types its template requires

Files are streamed into the zip (documents straight from the storage) with their digest computed
on the way, so memory stays bounded whatever the size of the documents.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.db.models import Prefetch

from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.selectors import with_decisions
from linkstar.audit.models import AuditEvent
from linkstar.audit.serializers import audit_event_out
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.spreadsheet import safe_cell
from linkstar.docrequests.models import DocumentRequest, RequestItem, RequestUpload
from linkstar.documents.models import Document, TaskAttachment
from linkstar.documents.services import document_storage
from linkstar.entities.serializers import entity_out
from linkstar.playbooks.models import blueprint_as_dict
from linkstar.projects import selectors as project_selectors
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.serializers import comment_out, task_out

FORMAT_VERSION = 1
CHUNK = 1024 * 1024


def _json_default(value: Any):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def dumps(data: Any) -> bytes:
    return json.dumps(
        data, ensure_ascii=False, indent=2, sort_keys=False, default=_json_default
    ).encode("utf-8")


def safe_name(name: str, *, fallback: str) -> str:
    """A file name fit for a zip entry: no folders, no control characters, not empty."""
    name = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", "_", name or "").strip(" ._")
    return name[:120] or fallback


class ArchiveWriter:
    """A zip being written, with the manifest of every file put in it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.entries: list[dict] = []
        self._names: set[str] = set()

    def _unique(self, path: str) -> str:
        candidate, n = path, 1
        while candidate in self._names:
            n += 1
            stem, dot, ext = path.rpartition(".")
            candidate = f"{stem}-{n}.{ext}" if dot and "/" not in ext else f"{path}-{n}"
        self._names.add(candidate)
        return candidate

    def add_bytes(self, path: str, data: bytes) -> str:
        path = self._unique(path)
        self.zip.writestr(path, data)
        self.entries.append(
            {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
        return path

    def add_stream(self, path: str, source: IO[bytes]) -> dict:
        path = self._unique(path)
        digest, size = hashlib.sha256(), 0
        with self.zip.open(path, "w", force_zip64=True) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        entry = {"path": path, "size": size, "sha256": digest.hexdigest()}
        self.entries.append(entry)
        return entry

    def finish(self, manifest: dict) -> None:
        manifest = {**manifest, "files": self.entries}
        self.zip.writestr("manifest.json", dumps(manifest))
        self.zip.close()


def _csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return text.getvalue().encode("utf-8-sig")


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.name, "email": user.email}


# --- one project --------------------------------------------------------------------------------


def _load_project(actor: Actor, project_id: int) -> StoreProject:
    return (
        project_selectors.project_queryset(actor)
        .select_related("template_version__template__site", "created_by")
        .get(pk=project_id)
    )


def _tasks(project: StoreProject) -> list[Task]:
    return list(
        Task.objects.filter(project=project)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "depends_on",
                queryset=Task.objects.only("id", "key", "status"),
                to_attr="dependency_list",
            ),
            Prefetch(
                "attachments",
                queryset=TaskAttachment.objects.select_related(
                    "document__document_type", "attached_by"
                ).order_by("attached_at", "id"),
                to_attr="attachment_list",
            ),
        )
        .order_by("position", "id")
    )


def _approvals(project: StoreProject) -> list[ApprovalRequest]:
    return list(
        with_decisions(
            ApprovalRequest.objects.filter(organization_id=project.organization_id, project=project)
        ).order_by("created_at", "id")
    )


def _entity_documents(project: StoreProject, types: set[str]) -> list[Document]:
    if not types:
        return []
    return list(
        Document.objects.filter(
            organization_id=project.organization_id,
            entity_id=project.entity_id,
            is_current=True,
            document_type__code__in=sorted(types),
        )
        .select_related("document_type")
        .order_by("document_type__position", "document_type__code", "id")
    )


def _document_meta(doc: Document, path: str | None) -> dict:
    return {
        "id": doc.pk,
        "document_type": doc.document_type.code,
        "person_name": doc.person_name,
        "original_name": doc.original_name,
        "version_number": doc.version_number,
        "is_current": doc.is_current,
        "issue_date": doc.issue_date,
        "expiry_date": doc.expiry_date,
        "size": doc.size,
        "sha256": doc.sha256,
        "content_type": doc.content_type,
        "path": path,
    }


def _document_requests(project: StoreProject) -> list[DocumentRequest]:
    return list(
        DocumentRequest.objects.filter(project_id=project.pk)
        .select_related("requested_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=RequestItem.objects.select_related("document_type").prefetch_related(
                    Prefetch(
                        "uploads",
                        queryset=RequestUpload.objects.select_related(
                            "uploaded_by", "reviewed_by"
                        ).order_by("created_at", "id"),
                        to_attr="upload_list",
                    )
                ),
                to_attr="item_list",
            )
        )
        .order_by("created_at", "id")
    )


def _document_request_out(r: DocumentRequest) -> dict:
    return {
        "id": r.pk,
        "status": r.status,
        "due_date": r.due_date,
        "message": r.message,
        "requested_by": _user(r.requested_by),
        "created_at": r.created_at,
        "closed_at": r.closed_at,
        "items": [
            {
                "id": i.pk,
                "document_type": i.document_type.code,
                "note": i.note,
                "status": i.status,
                "reason": i.reason,
                "document_id": i.document_id,
                "uploads": [
                    {
                        "id": u.pk,
                        "status": u.status,
                        "original_name": u.original_name,
                        "size": u.size,
                        "sha256": u.sha256,
                        "uploaded_by": _user(u.uploaded_by),
                        "via_link": u.link_id is not None,
                        "uploaded_at": u.created_at,
                        "reviewed_by": _user(u.reviewed_by),
                        "reviewed_at": u.reviewed_at,
                        "reason": u.reason,
                        "document_id": u.document_id,
                    }
                    for u in i.upload_list
                ],
            }
            for i in r.item_list
        ],
    }


def write_project(writer: ArchiveWriter, *, actor: Actor, project_id: int, mail_source) -> dict:
    """Every file of one project into ``writer``; returns its summary for the manifest."""
    project = _load_project(actor, project_id)
    today = org_today(actor.organization)
    folder = safe_name(project.code, fallback=f"project-{project.pk}")
    version = project.template_version
    template = version.template
    blueprints = list(version.blueprints.order_by("position", "id"))
    tasks = _tasks(project)
    approvals = _approvals(project)
    stage_changes, events = project_selectors.project_history(project=project)
    comments = list(project_selectors.comment_list(actor=actor, project=project))
    team = project_selectors.project_team(project=project)
    doc_requests = _document_requests(project)
    required = {code for bp in blueprints for code in (bp.document_types or ())}

    # The documents it used: attachments first, then the entity's current required documents.
    documents: dict[int, Document] = {}
    attached_by_task: dict[int, list[int]] = {}
    for task in tasks:
        for attachment in task.attachment_list:
            documents.setdefault(attachment.document_id, attachment.document)
            attached_by_task.setdefault(task.pk, []).append(attachment.document_id)
    for doc in _entity_documents(project, required):
        documents.setdefault(doc.pk, doc)

    storage = document_storage()
    document_paths: dict[int, str | None] = {}
    for doc in documents.values():
        name = safe_name(doc.original_name, fallback=f"document-{doc.pk}")
        try:
            with storage.open(doc.storage_name, "rb") as handle:
                entry = writer.add_stream(f"{folder}/documents/{doc.pk}-{name}", handle)
            document_paths[doc.pk] = entry["path"]
        except (FileNotFoundError, OSError):
            document_paths[doc.pk] = None  # listed in project.json as missing

    task_keys = {t.pk: t.key for t in tasks}
    task_rows = []
    for task in tasks:
        row = task_out(task, today=today)
        row["depends_on_keys"] = [d.key for d in task.dependency_list]
        row["assignee"] = _user(task.assignee)
        row["started_at"] = task.started_at
        row["completed_at"] = task.completed_at
        row["attachments"] = [
            {
                "document_id": a.document_id,
                "attached_by": a.attached_by.email if a.attached_by else None,
                "attached_at": a.attached_at,
            }
            for a in task.attachment_list
        ]
        task_rows.append(row)

    members = getattr(project, "member_list", [])
    data = {
        "format": "linkstar.project-archive",
        "format_version": FORMAT_VERSION,
        "project": {
            "id": project.pk,
            "code": project.code,
            "store_name": project.store_name,
            "platform": project.site.platform.code,
            "site": project.site.code,
            "currency": project.site.currency,
            "stage": project.stage,
            "status": project.status,
            "start_date": project.start_date,
            "planned_finish": project.planned_finish,
            "stage_changed_at": project.stage_changed_at,
            "closed_at": project.closed_at,
            "created_at": project.created_at,
            "created_by": _user(project.created_by),
            "progress": project.progress,
            "task_count": project.task_count,
            "finished_task_count": project.finished_task_count,
            "version": project.version,
        },
        "manager": _user(project.manager),
        "members": [_user(u) for u in sorted(members, key=lambda u: u.pk)],
        "team": [
            {
                **_user(row["membership"].user),
                "role": row["membership"].role,
                "is_manager": row["is_manager"],
            }
            for row in team
        ],
        "entity": entity_out(project.entity),
        "template": {
            "id": template.pk,
            "key": template.key,
            "name": template.name,
            "name_en": template.name_en,
            "builtin": template.organization_id is None,
            "site": template.site.code,
            "version": {
                "id": version.pk,
                "number": version.number,
                "status": version.status,
                "published_at": version.published_at,
            },
            "blueprints": [blueprint_as_dict(bp) for bp in blueprints],
            "required_document_types": sorted(required),
        },
        "tasks": task_rows,
        "approvals": [
            {
                "id": a.pk,
                "task_id": a.task_id,
                "task_key": task_keys.get(a.task_id),
                "status": a.status,
                "levels": a.levels,
                "current_level": a.current_level,
                "requested_by": _user(a.requested_by),
                "created_at": a.created_at,
                "decided_at": a.decided_at,
                "decisions": [
                    {
                        "level": d.level,
                        "decided_by": _user(d.decided_by),
                        "decision": d.decision,
                        "comment": d.comment,
                        "at": d.at,
                    }
                    for d in a.decision_list
                ],
            }
            for a in approvals
        ],
        "stage_changes": [
            {
                "from_stage": c.from_stage or None,
                "to_stage": c.to_stage,
                "note": c.note,
                "actor": _user(c.actor),
                "task_id": c.task_id,
                "at": c.at,
            }
            for c in stage_changes
        ],
        "documents": [_document_meta(d, document_paths[d.pk]) for d in documents.values()],
        "attachments_by_task": {str(k): v for k, v in attached_by_task.items()},
        "document_requests": [_document_request_out(r) for r in doc_requests],
    }
    writer.add_bytes(f"{folder}/project.json", dumps(data))

    writer.add_bytes(
        f"{folder}/tasks.csv",
        _csv_bytes(
            [
                "key",
                "title",
                "phase",
                "status",
                "assignee_email",
                "start_date",
                "due_date",
                "completed_at",
                "depends_on",
                "approval_levels",
                "document_types",
                "skip_reason",
            ],
            (
                [
                    t.key,
                    t.title,
                    t.phase,
                    t.status,
                    t.assignee.email if t.assignee else "",
                    t.start_date.isoformat() if t.start_date else "",
                    t.due_date.isoformat() if t.due_date else "",
                    t.completed_at.isoformat() if t.completed_at else "",
                    " ".join(d.key for d in t.dependency_list),
                    t.approval_levels,
                    " ".join(t.document_types or ()),
                    t.skip_reason,
                ]
                for t in tasks
            ),
        ),
    )

    history = [
        (
            c.at,
            [
                c.at.isoformat(),
                "stage_change",
                f"{c.from_stage or '-'} → {c.to_stage}",
                c.actor.email if c.actor else "",
                "storeproject",
                str(project.pk),
                c.note,
            ],
        )
        for c in stage_changes
    ] + [
        (
            e.at,
            [
                e.at.isoformat(),
                "audit",
                e.action,
                e.actor_label,
                e.object_type,
                e.object_id,
                json.dumps(e.changes, ensure_ascii=False, default=_json_default),
            ],
        )
        for e in events
    ]
    history.sort(key=lambda item: item[0])
    writer.add_bytes(
        f"{folder}/history.csv",
        _csv_bytes(
            ["at", "kind", "action", "actor", "object_type", "object_id", "details"],
            (row for _at, row in history),
        ),
    )
    writer.add_bytes(f"{folder}/audit.json", dumps([_audit(e) for e in events]))
    writer.add_bytes(f"{folder}/comments.json", dumps([comment_out(c) for c in comments]))
    writer.add_bytes(
        f"{folder}/document_requests.csv",
        _csv_bytes(
            [
                "request_id",
                "requested_at",
                "due_date",
                "request_status",
                "document_type",
                "note",
                "item_status",
                "reason",
                "uploads",
                "document_id",
            ],
            (
                [
                    r.pk,
                    r.created_at.isoformat(),
                    r.due_date.isoformat(),
                    r.status,
                    i.document_type.code,
                    i.note,
                    i.status,
                    i.reason,
                    len(i.upload_list),
                    i.document_id or "",
                ]
                for r in doc_requests
                for i in r.item_list
            ),
        ),
    )

    mail_files = 0
    for path, raw in mail_source(project) or ():
        relative = "/".join(safe_name(part, fallback="_") for part in str(path).split("/"))
        writer.add_bytes(f"{folder}/{relative}", bytes(raw))
        mail_files += 1

    return {
        "id": project.pk,
        "code": project.code,
        "store_name": project.store_name,
        "folder": folder,
        "tasks": len(tasks),
        "documents": len(documents),
        "mail_files": mail_files,
    }


def _audit(e: AuditEvent) -> dict:
    return {
        **audit_event_out(e),
        "seq": e.seq,
        "object_repr": e.object_repr,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }
