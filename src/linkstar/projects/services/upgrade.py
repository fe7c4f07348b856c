"""Moving a store project to a newer published version of its SOP template (升级模板版本): the
write. The plan it carries out is the selectors' (``selectors/upgrade.py``), the one the preview
shows; started and finished work is never touched."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.accounts.workcalendar import work_calendar
from linkstar.accounts.workdays import WorkCalendar
from linkstar.audit.services import record
from linkstar.core.actors import Actor
from linkstar.core.announcements import PROJECTS_CHANGED, announce
from linkstar.core.exceptions import check_version
from linkstar.playbooks.models import TemplateVersion
from linkstar.projects.models import StoreProject, Task, TaskStatus, checklist_items
from linkstar.projects.selectors.upgrade import (
    COPIED_FIELDS,
    PlannedTask,
    blueprints_of,
    check_upgrade,
    plan_tasks,
    plan_upgrade,
)
from linkstar.projects.services import status as task_status


def _planned_finish(start: dt.date, blueprints: list[dict], calendar: WorkCalendar) -> dt.date:
    return calendar.finish(start, [(bp["offset_days"], bp["duration_days"]) for bp in blueprints])


def _new_task(project: StoreProject, item: PlannedTask) -> Task:
    bp = item.blueprint
    return Task(
        organization_id=project.organization_id,
        project=project,
        key=bp["key"],
        position=bp["position"],
        title=bp["title"],
        title_en=bp["title_en"],
        description=bp["description"],
        description_en=bp["description_en"],
        phase=bp["phase"],
        role=bp["role"] or "",
        assignee_id=project.manager_id if bp["role"] == "manager" else None,
        start_date=item.start_date,
        due_date=item.due_date,
        approval_levels=bp["approval_levels"],
        document_types=list(bp["document_types"]),
        checklist=checklist_items(bp["checklist"], bp["checklist_en"]),
        sets_stage=bp["sets_stage"] or "",
    )


def _apply_changes(
    project: StoreProject, task: Task, item: PlannedTask, calendar: WorkCalendar
) -> None:
    """Copy onto a task not yet started the fields the new version changes (and only those, so
    that a manager's own planning of the other fields stays)."""
    bp = item.blueprint
    fields = set(item.fields)
    for name in COPIED_FIELDS:
        if name in fields:
            value = bp[name]
            setattr(task, name, value if value is not None else "")
    if "role" in fields and bp["role"] == "manager" and task.assignee_id is None:
        task.assignee_id = project.manager_id
    if {"checklist", "checklist_en"} & fields:
        ticked = {entry.get("text") for entry in task.checklist if entry.get("done")}
        task.checklist = checklist_items(bp["checklist"], bp["checklist_en"], ticked=ticked)
    if "offset_days" in fields or task.start_date is None:
        task.start_date = calendar.add_working_days(project.start_date, bp["offset_days"])
    if {"offset_days", "duration_days"} & fields or task.due_date is None:
        task.due_date = calendar.add_working_days(task.start_date, bp["duration_days"])


@transaction.atomic
def upgrade_project(
    *,
    actor: Actor,
    project: StoreProject,
    version: TemplateVersion,
    expected_version: int | None = None,
) -> StoreProject:
    """Move a project to a newer published version of its template (its manager or an admin).
    Tasks the new version adds are created, dated from the project's start and wired to their
    dependencies; tasks it removes are skipped if still to do and kept otherwise; tasks it
    changes are updated if still to do and kept otherwise. Started and finished work is never
    changed. One transaction, one audit event ``project.upgraded``."""
    project = (
        StoreProject.objects.select_for_update(of=("self",))
        .select_related("template_version__template", "organization", "site")
        .get(pk=project.pk)
    )
    check_upgrade(actor, project, version)
    check_version(project, expected_version)
    tasks = plan_tasks(project, lock=True)
    calendar = work_calendar(project.organization_id)
    plan = plan_upgrade(project, version, tasks, calendar)
    from_version = project.template_version
    now = timezone.now()
    by_key = {t.key: t for t in tasks}
    positions = {bp["key"]: bp["position"] for bp in blueprints_of(version)}

    created = Task.objects.bulk_create(_new_task(project, item) for item in plan.added)
    ids = {t.key: t.pk for t in tasks} | {t.key: t.pk for t in created}

    skip_reason = _("Removed in version %(n)s of the template.") % {"n": version.number}
    skipped = [by_key[item.key] for item in plan.skipped]
    task_status.finish(skipped, now=now, status=TaskStatus.SKIPPED, skip_reason=skip_reason)
    for task in skipped:
        task.version += 1
        task.updated_at = now
    Task.objects.bulk_update(
        skipped, ["status", "skip_reason", "completed_at", "version", "updated_at"]
    )

    updated = []
    for item in plan.updated:
        task = by_key[item.key]
        _apply_changes(project, task, item, calendar)
        task.version += 1
        task.updated_at = now
        updated.append(task)
    Task.objects.bulk_update(
        updated,
        [
            *COPIED_FIELDS,
            "assignee",
            "checklist",
            "start_date",
            "due_date",
            "version",
            "updated_at",
        ],
    )

    # Plan order follows the new version; tasks it no longer has keep their place.
    moved = [t for t in tasks if t.key in positions and t.position != positions[t.key]]
    for task in moved:
        task.position = positions[task.key]
    Task.objects.bulk_update(moved, ["position"])

    Dep = Task.depends_on.through
    rewired = [
        (ids[item.key], item.blueprint["depends_on"])
        for item in plan.updated
        if "depends_on" in item.fields
    ]
    Dep.objects.filter(from_task_id__in=[task_id for task_id, _deps in rewired]).delete()
    Dep.objects.bulk_create(
        Dep(from_task_id=task_id, to_task_id=ids[key])
        for task_id, deps in [
            *rewired,
            *((ids[item.key], item.blueprint["depends_on"]) for item in plan.added),
        ]
        for key in deps
        if key in ids
    )

    before = {
        "task_count": project.task_count,
        "finished_task_count": project.finished_task_count,
        "planned_finish": project.planned_finish,
    }
    project.task_count = Task.objects.filter(project_id=project.pk).aggregate(n=Count("id"))["n"]
    task_status.recount([project.pk])  # the finished count has one writer
    project.refresh_from_db(fields=["finished_task_count"])
    # The planned finish follows the plan unless the manager set it by hand.
    old_blueprints = blueprints_of(from_version)
    if project.planned_finish == _planned_finish(project.start_date, old_blueprints, calendar):
        project.planned_finish = _planned_finish(
            project.start_date, blueprints_of(version), calendar
        )
    project.template_version = version
    project.version += 1
    project.save()

    changes = {
        "template_version": {"before": from_version.number, "after": version.number},
        **{
            name: {"before": before[name], "after": getattr(project, name)}
            for name in before
            if before[name] != getattr(project, name)
        },
        **{name: {"before": None, "after": keys} for name, keys in plan.keys().items()},
    }
    record(
        actor=actor,
        action="project.upgraded",
        obj=project,
        changes=changes,
        project_id=project.pk,
    )
    announce(PROJECTS_CHANGED, project_ids=[project.pk])  # its plan, so its forecast
    return project
