"""Document readiness (资料完整性) and the gates the project services call.

Every document type the project's tasks need (tasks not skipped) must have a current document on
the project's seller entity that is not expired today and does not expire before the planned
submission. A task needing documents is not completed while one is missing or expired; a project
does not go ``under_review`` below 100 % (unless a manager's override covers the gaps) nor with
unacknowledged association risks.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkstar.audit.services import record
from linkstar.catalog.models import DocumentType
from linkstar.compliance.models import ReadinessOverride
from linkstar.compliance.services.common import clean_reason, kind_label, require_manager, today_of
from linkstar.compliance.services.risks import open_risks
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict
from linkstar.documents.models import Document
from linkstar.projects.models import Stage, StoreProject, Task, TaskStatus

OK, MISSING, EXPIRED, EXPIRING = "ok", "missing", "expired", "expiring_before_submission"
READINESS_STATUSES = (OK, MISSING, EXPIRED, EXPIRING)
STATUS_LABELS = {
    OK: gettext_lazy("Ready"),
    MISSING: gettext_lazy("Missing"),
    EXPIRED: gettext_lazy("Expired"),
    EXPIRING: gettext_lazy("Expires before submission"),
}

# --- readiness -------------------------------------------------------------------------------


def submission_date(project: StoreProject, tasks: list[Task] | None = None) -> dt.date:
    """When the application is planned to go in: the due date of the (first) task that moves the
    project to ``under_review``, else the planned finish."""
    if tasks is None:
        tasks = list(
            Task.objects.filter(project_id=project.pk)
            .exclude(status=TaskStatus.SKIPPED)
            .only("due_date", "sets_stage", "position")
        )
    dates = [
        t.due_date
        for t in tasks
        if t.sets_stage == Stage.UNDER_REVIEW and t.status != TaskStatus.SKIPPED and t.due_date
    ]
    return min(dates) if dates else project.planned_finish


def _best_documents(entity_id: int, organization_id: int, codes) -> dict[str, Document]:
    """The current document of each type on the entity; of several, the one valid longest."""
    best: dict[str, Document] = {}
    docs = Document.objects.filter(
        organization_id=organization_id,
        entity_id=entity_id,
        is_current=True,
        document_type__code__in=list(codes),
    ).select_related("document_type")
    for doc in docs:
        code = doc.document_type.code
        held = best.get(code)
        if held is None or (
            held.expiry_date is not None
            and (doc.expiry_date is None or doc.expiry_date > held.expiry_date)
        ):
            best[code] = doc
    return best


def _item_status(doc: Document | None, *, today: dt.date, submit_on: dt.date) -> str:
    if doc is None:
        return MISSING
    if doc.expiry_date is not None and doc.expiry_date < today:
        return EXPIRED
    if doc.expiry_date is not None and doc.expiry_date < submit_on:
        return EXPIRING
    return OK


def latest_override(project: StoreProject) -> ReadinessOverride | None:
    return (
        ReadinessOverride.objects.filter(project_id=project.pk)
        .select_related("created_by")
        .order_by("-created_at", "-id")
        .first()
    )


def readiness(project: StoreProject, *, today: dt.date | None = None) -> dict:
    """``{percent, submission_date, items: [{document_type, name, status, document_id,
    expiry_date, expiring_soon}], override, overridden}`` for the document types needed by the
    project's open and done tasks (skipped ones need nothing). Four queries."""
    today = today or today_of(project.organization)
    tasks = list(
        Task.objects.filter(project_id=project.pk)
        .exclude(status=TaskStatus.SKIPPED)
        .only("document_types", "due_date", "sets_stage", "status", "position")
    )
    needed: list[str] = []
    for task in tasks:
        for code in task.document_types or []:
            if code not in needed:
                needed.append(code)
    submit_on = max(submission_date(project, tasks), today)
    types = {t.code: t for t in DocumentType.objects.filter(code__in=needed)} if needed else {}
    needed.sort(key=lambda c: (types[c].position if c in types else 10**6, c))
    docs = _best_documents(project.entity_id, project.organization_id, needed) if needed else {}
    items = []
    for code in needed:
        doc = docs.get(code)
        status = _item_status(doc, today=today, submit_on=submit_on)
        items.append(
            {
                "document_type": code,
                "name": types[code].display_name if code in types else code,
                "status": status,
                "document_id": doc.pk if doc else None,
                "expiry_date": doc.expiry_date if doc else None,
                "expiring_soon": bool(doc and status == OK and doc.status_on(today) == "expiring"),
            }
        )
    ok = sum(1 for i in items if i["status"] == OK)
    percent = 100 if not items else (100 * ok) // len(items)
    override = latest_override(project)
    gaps = {(i["document_type"], i["status"]) for i in items if i["status"] != OK}
    return {
        "percent": percent,
        "submission_date": submit_on,
        "items": items,
        "override": override,
        "overridden": bool(gaps) and override is not None and gaps <= override.covered,
    }


def _item_text(item: dict) -> str:
    if item["status"] == MISSING:
        return _("%(name)s (missing)") % {"name": item["name"]}
    if item["status"] == EXPIRED:
        return _("%(name)s (expired %(d)s)") % {"name": item["name"], "d": item["expiry_date"]}
    return _("%(name)s (expires %(d)s, before the submission)") % {
        "name": item["name"],
        "d": item["expiry_date"],
    }


@transaction.atomic
def override_readiness(*, actor: Actor, project: StoreProject, reason: str) -> ReadinessOverride:
    """A manager (``project.update``) lets the project go under review although readiness is
    below 100 %, with a documented reason. Audited; covers the gaps present now only; does not
    cover association risks (those are acknowledged one by one)."""
    project = (
        StoreProject.objects.select_for_update().select_related("organization").get(pk=project.pk)
    )
    require_manager(
        actor,
        project,
        _("Only the project's manager or an administrator may override the readiness check."),
    )
    reason = clean_reason(reason, ask=_("Say why the project may go on without these documents."))
    if project.status == "closed":
        raise Conflict(_("Project %(c)s is closed.") % {"c": project.code}, code="project_closed")
    state = readiness(project)
    gaps = [
        {"document_type": i["document_type"], "status": i["status"]}
        for i in state["items"]
        if i["status"] != OK
    ]
    if not gaps:
        raise Conflict(
            _("Every document is ready: there is nothing to override."), code="readiness_complete"
        )
    override = ReadinessOverride.objects.create(
        organization_id=project.organization_id,
        project=project,
        reason=reason,
        items=gaps,
        percent=state["percent"],
        created_by=actor.user,
    )
    record(
        actor=actor,
        action="project.readiness_overridden",
        obj=project,
        project_id=project.pk,
        changes={
            "reason": {"before": None, "after": reason},
            "readiness": {"before": None, "after": state["percent"]},
            "documents": {
                "before": None,
                "after": [f"{g['document_type']}:{g['status']}" for g in gaps],
            },
        },
    )
    return override


# --- gates (called by projects.services) -----------------------------------------------------


def task_document_gaps(task: Task) -> list[str]:
    """The task's document types missing or expired on the project's entity, in words."""
    project = task.project
    codes = list(dict.fromkeys(task.document_types or []))
    if not codes:
        return []
    today = today_of(project.organization)
    docs = _best_documents(project.entity_id, project.organization_id, codes)
    names = {t.code: t.display_name for t in DocumentType.objects.filter(code__in=codes)}
    gaps = []
    for code in codes:
        doc = docs.get(code)
        status = _item_status(doc, today=today, submit_on=today)
        if status != OK:
            gaps.append(
                _item_text(
                    {
                        "name": names.get(code, code),
                        "status": status,
                        "expiry_date": doc.expiry_date if doc else None,
                    }
                )
            )
    return gaps


def check_task_completion(*, task: Task, documents_confirmed: bool = False) -> None:
    """A task that needs documents is not done (nor sent for approval) while one of its
    document types is missing or expired on the project's entity (409 ``documents_missing``),
    unless the person confirmed it with a reason (``documents_confirmed``; the caller records
    it). A task that moves the project to ``under_review`` also meets the stage gate here,
    before an approval is asked for."""
    project = task.project
    bad = [] if documents_confirmed else task_document_gaps(task)
    if bad:
        raise Conflict(
            _("%(task)s cannot be completed: documents missing or expired: %(docs)s.")
            % {"task": task.display_title, "docs": "; ".join(bad)},
            code="documents_missing",
        )
    if task.sets_stage == Stage.UNDER_REVIEW and project.stage != Stage.UNDER_REVIEW:
        check_stage_move(project=project, stage=Stage.UNDER_REVIEW)


def check_stage_move(*, project: StoreProject, stage: str) -> None:
    """The move to ``under_review`` needs readiness at 100 % (or an override covering every gap:
    409 ``readiness_incomplete``) and no unacknowledged association risk (409
    ``association_risk``)."""
    if stage != Stage.UNDER_REVIEW:
        return
    state = readiness(project)
    if state["percent"] < 100 and not state["overridden"]:
        gaps = [_item_text(i) for i in state["items"] if i["status"] != OK]
        raise Conflict(
            _(
                "The project cannot go under review: document readiness is %(p)d %%. "
                "%(docs)s. A manager may override this with a reason."
            )
            % {"p": state["percent"], "docs": "; ".join(gaps)},
            code="readiness_incomplete",
        )
    risks = open_risks(project, limit=6)
    if risks:
        shown = [
            _("a second account beside %(code)s on this site") % {"code": r.other_project.code}
            if r.basis == "second_account"
            else _("%(kind)s %(masked)s shared with %(code)s")
            % {
                "kind": "、".join(kind_label(i["kind"]) for i in r.identifiers)
                or kind_label(r.kind),
                "masked": "、".join(i["masked"] for i in r.identifiers) or r.masked,
                "code": r.other_project.code,
            }
            for r in risks[:5]
        ]
        raise Conflict(
            _(
                "The project cannot go under review while association risks are not "
                "acknowledged: %(risks)s%(more)s."
            )
            % {"risks": "; ".join(shown), "more": " …" if len(risks) > 5 else ""},
            code="association_risk",
        )
