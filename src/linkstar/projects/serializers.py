"""Model → API dict, shared by the API and (later) exports; no queries beyond prefetched data."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from linkstar.accounts.people import shown_email
from linkstar.projects.models import FINISHED_TASK_STATUSES
from linkstar.projects.selectors import newer_version

if TYPE_CHECKING:
    from linkstar.core.actors import Actor


def user_ref(user, viewer: Actor | None = None) -> dict | None:
    """A person in an answer; ``email`` is "" for a client reading the staff (issue 15 §1)."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.name, "email": shown_email(user, viewer)}


def project_out(p, viewer: Actor | None = None) -> dict:
    members = getattr(p, "member_list", None)
    member_ids = (
        sorted(u.pk for u in members)
        if members is not None
        else sorted(p.members.values_list("pk", flat=True))
    )
    return {
        "id": p.pk,
        "code": p.code,
        "store_name": p.store_name,
        "site": p.site.code,
        "platform": p.site.platform.code,
        "currency": p.site.currency,
        "entity_id": p.entity_id,
        "entity": {"id": p.entity.pk, "name": p.entity.name},
        "manager_id": p.manager_id,
        "manager": user_ref(p.manager, viewer),
        "member_ids": member_ids,
        "stage": p.stage,
        "status": p.status,
        "start_date": p.start_date,
        "planned_finish": p.planned_finish,
        "progress": p.progress,
        "overdue": bool(getattr(p, "is_overdue", False)),
        "task_count": p.task_count,
        "finished_task_count": p.finished_task_count,
        "template": {
            "id": p.template_version.template_id,
            "version": p.template_version.number,
            "newer_version": newer_version(p),
        },
        "version": p.version,
        "created_at": p.created_at,
        "closed_at": p.closed_at,
    }


def task_out(t, *, today: dt.date) -> dict:
    deps = getattr(t, "dependency_list", None)
    if deps is None:
        deps = list(t.depends_on.only("id", "status"))
    is_open = t.status not in FINISHED_TASK_STATUSES
    return {
        "id": t.pk,
        "project_id": t.project_id,
        "key": t.key,
        "title": t.title,
        "title_en": t.title_en,
        "description": t.description,
        "phase": t.phase,
        "status": t.status,
        "role": t.role or None,
        "assignee_id": t.assignee_id,
        "start_date": t.start_date,
        "due_date": t.due_date,
        "depends_on": sorted(d.pk for d in deps),
        "blocked": is_open and any(d.status not in FINISHED_TASK_STATUSES for d in deps),
        "approval_levels": t.approval_levels,
        "document_types": t.document_types,
        "checklist": t.checklist,
        "sets_stage": t.sets_stage or None,
        "skip_reason": t.skip_reason,
        "overdue": bool(is_open and t.due_date and t.due_date < today),
        "version": t.version,
    }


def comment_out(c) -> dict:
    mentions = getattr(c, "mention_list", None)
    if mentions is None:
        mentions = list(c.mention_rows.all())
    return {
        "id": c.pk,
        "project_id": c.project_id,
        "task_id": c.task_id,
        "author_id": c.author_id,
        "author": c.author.display_name if c.author else "",
        "body": c.body,
        "mentions": sorted(m.user_id for m in mentions),
        "for_client": c.for_client,
        "created_at": c.created_at,
    }
