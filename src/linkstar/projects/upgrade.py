"""Moving a store project to a newer published version of its SOP template (升级模板版本).

When a platform changes its rules, an administrator publishes a new template version; projects
already running stay on the version they were created from until their manager upgrades them.
The rule of an upgrade: what the new version adds is created, what it removes is skipped if
nobody started it, what it changes is updated if nobody started it; started and finished work
is never touched. The plan is computed the same way for the preview and for the upgrade itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from linkstar.accounts.workcalendar import work_calendar
from linkstar.accounts.workdays import WorkCalendar
from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, check_version
from linkstar.playbooks.diff import FieldChange, VersionDiff, diff_blueprints, task_changes
from linkstar.playbooks.models import Template, TemplateVersion, VersionStatus
from linkstar.playbooks.services import blueprint_as_dict
from linkstar.projects import visibility
from linkstar.projects.models import (
    FINISHED_TASK_STATUSES,
    ProjectStatus,
    StoreProject,
    Task,
    TaskStatus,
    checklist_items,
)
from linkstar.projects.services import status as task_status

ADDED, SKIPPED, UPDATED, KEPT = "added", "skipped", "updated", "kept"
# Why a task is kept as it is although the new version differs.
REMOVED_BUT_STARTED, CHANGED_BUT_STARTED = "removed", "changed"
# Task fields copied from the blueprint when the new version changes them.
COPIED_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "phase",
    "role",
    "approval_levels",
    "document_types",
    "sets_stage",
)


@dataclass(frozen=True)
class PlannedTask:
    """One task the upgrade touches (or would touch, but leaves alone because it is started)."""

    key: str
    title: str
    title_en: str = ""
    status: str | None = None  # the project task's status now; None for a task to add
    task_id: int | None = None
    blueprint: dict | None = None  # the new version's blueprint (added, updated, kept-changed)
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""  # for kept tasks: REMOVED_BUT_STARTED or CHANGED_BUT_STARTED
    start_date: dt.date | None = None  # for a task to add: its dates in this project
    due_date: dt.date | None = None

    @property
    def display_title(self) -> str:
        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.changes]


@dataclass(frozen=True)
class UpgradePlan:
    project: StoreProject
    from_version: TemplateVersion
    to_version: TemplateVersion
    diff: VersionDiff
    added: list[PlannedTask] = field(default_factory=list)
    skipped: list[PlannedTask] = field(default_factory=list)
    updated: list[PlannedTask] = field(default_factory=list)
    kept: list[PlannedTask] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.skipped or self.updated or self.kept)

    def keys(self) -> dict[str, list[str]]:
        return {
            ADDED: [t.key for t in self.added],
            SKIPPED: [t.key for t in self.skipped],
            UPDATED: [t.key for t in self.updated],
            KEPT: [t.key for t in self.kept],
        }


# --- reads -----------------------------------------------------------------------------------


def target_version(project: StoreProject, number: int | None) -> TemplateVersion:
    """Version ``number`` of the project's template; without a number, its newest published
    version. An unknown number names the field."""
    versions = TemplateVersion.objects.filter(
        template_id=project.template_version.template_id
    ).select_related("template")
    if number is None:
        version = versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        if version is None:  # cannot happen for a project, which starts from a published one
            raise InvalidInput(FieldError("version", _("The template has no published version.")))
        return version
    version = versions.filter(number=number).first()
    if version is None:
        raise InvalidInput(
            FieldError("version", _("The template has no version %(n)s.") % {"n": number})
        )
    return version


def newer_versions(project: StoreProject) -> list[TemplateVersion]:
    """The published versions of the project's template newer than the one it is on."""
    return list(
        TemplateVersion.objects.filter(
            template_id=project.template_version.template_id,
            status=VersionStatus.PUBLISHED,
            number__gt=project.template_version.number,
        ).order_by("-number")
    )


def outdated_projects(*, actor: Actor, template: Template) -> QuerySet[StoreProject]:
    """The active projects the actor sees that are on an older version of ``template`` than its
    newest published one (none when nothing newer is published)."""
    latest = (
        TemplateVersion.objects.filter(template=template, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    qs = visibility.visible_projects(actor).filter(
        template_version__template=template, status=ProjectStatus.ACTIVE
    )
    if latest is None:
        return qs.none()
    return (
        qs.filter(template_version__number__lt=latest)
        .select_related("site", "manager", "template_version", "entity")
        .order_by("template_version__number", "code", "pk")
    )


# --- the plan --------------------------------------------------------------------------------


def _check(actor: Actor, project: StoreProject, version: TemplateVersion) -> None:
    policy.require(actor, "project.update", project)
    if project.status == ProjectStatus.CLOSED:
        raise Conflict(_("Project %(c)s is closed.") % {"c": project.code}, code="project_closed")
    current = project.template_version
    if version.template_id != current.template_id:
        raise InvalidInput(
            FieldError(
                "version",
                _("Version %(n)s is not a version of this project's template.")
                % {"n": version.number},
            )
        )
    if version.status != VersionStatus.PUBLISHED:
        raise InvalidInput(
            FieldError(
                "version",
                _("Version %(n)s is %(s)s; a project moves only to a published version.")
                % {"n": version.number, "s": VersionStatus(version.status).label},
            )
        )
    if version.number <= current.number:
        raise InvalidInput(
            FieldError(
                "version",
                _("The project is on version %(c)s already; choose a newer version.")
                % {"c": current.number},
            )
        )


def _blueprints(version: TemplateVersion) -> list[dict]:
    return [
        {**blueprint_as_dict(bp), "position": bp.position}
        for bp in version.blueprints.order_by("position")
    ]


def _tasks(project: StoreProject, *, lock: bool) -> list[Task]:
    qs = Task.objects.filter(project_id=project.pk)
    if lock:
        qs = qs.select_for_update()
    return list(
        qs.prefetch_related(
            Prefetch("depends_on", queryset=Task.objects.only("id", "key"), to_attr="dep_list")
        ).order_by("position", "id")
    )


def _task_as_blueprint(task: Task, start: dt.date, calendar: WorkCalendar) -> dict:
    """What a task says about its step, for a task the old version does not know (its offset
    and duration counted in working days, as creation dates them)."""
    return {
        "key": task.key,
        "title": task.title,
        "title_en": task.title_en,
        "description": task.description,
        "description_en": task.description_en,
        "phase": task.phase,
        "offset_days": calendar.working_days_between(calendar.roll(start), task.start_date)
        if task.start_date
        else 0,
        "duration_days": calendar.working_days_between(task.start_date, task.due_date)
        if task.start_date and task.due_date
        else 0,
        "depends_on": [d.key for d in task.dep_list],
        "role": task.role or None,
        "document_types": task.document_types,
        "approval_levels": task.approval_levels,
        "checklist": [item.get("text") for item in task.checklist],
        "checklist_en": [item.get("text_en") or "" for item in task.checklist if "text_en" in item],
        "sets_stage": task.sets_stage or None,
    }


def _plan(
    project: StoreProject,
    version: TemplateVersion,
    tasks: list[Task],
    calendar: WorkCalendar,
) -> UpgradePlan:
    old = _blueprints(project.template_version)
    new = _blueprints(version)
    old_by_key = {bp["key"]: bp for bp in old}
    new_keys = {bp["key"] for bp in new}
    by_key = {t.key: t for t in tasks}
    plan = UpgradePlan(
        project=project,
        from_version=project.template_version,
        to_version=version,
        diff=diff_blueprints(old, new),
    )
    for bp in new:
        task = by_key.get(bp["key"])
        if task is None:
            ((start, due),) = calendar.task_dates(
                project.start_date, [(bp["offset_days"], bp["duration_days"])]
            )
            plan.added.append(
                PlannedTask(
                    key=bp["key"],
                    title=bp["title"],
                    title_en=bp["title_en"],
                    blueprint=bp,
                    start_date=start,
                    due_date=due,
                )
            )
            continue
        base = old_by_key.get(bp["key"]) or _task_as_blueprint(task, project.start_date, calendar)
        changes = tuple(task_changes(base, bp))
        if not changes:
            continue
        item = PlannedTask(
            key=task.key,
            title=task.title,
            title_en=task.title_en,
            status=task.status,
            task_id=task.pk,
            blueprint=bp,
            changes=changes,
            reason="" if task.status == TaskStatus.TODO else CHANGED_BUT_STARTED,
        )
        (plan.updated if task.status == TaskStatus.TODO else plan.kept).append(item)
    for task in tasks:
        if task.key in new_keys:
            continue
        item = PlannedTask(
            key=task.key,
            title=task.title,
            title_en=task.title_en,
            status=task.status,
            task_id=task.pk,
            reason="" if task.status == TaskStatus.TODO else REMOVED_BUT_STARTED,
        )
        (plan.skipped if task.status == TaskStatus.TODO else plan.kept).append(item)
    return plan


def preview_upgrade(
    *, actor: Actor, project: StoreProject, version: TemplateVersion
) -> UpgradePlan:
    """What upgrading ``project`` to ``version`` would do, task by task; writes nothing.
    Refused as the upgrade itself would be (role, closed project, version not newer)."""
    project = (
        StoreProject.objects.select_related("template_version__template", "site", "manager")
        .filter(pk=project.pk)
        .first()
    ) or project
    _check(actor, project, version)
    return _plan(
        project, version, _tasks(project, lock=False), work_calendar(project.organization_id)
    )


# --- the upgrade -----------------------------------------------------------------------------


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
    _check(actor, project, version)
    check_version(project, expected_version)
    tasks = _tasks(project, lock=True)
    calendar = work_calendar(project.organization_id)
    plan = _plan(project, version, tasks, calendar)
    from_version = project.template_version
    now = timezone.now()
    by_key = {t.key: t for t in tasks}
    positions = {bp["key"]: bp["position"] for bp in _blueprints(version)}

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
    counts = Task.objects.filter(project_id=project.pk).aggregate(
        total=Count("id"), finished=Count("id", filter=Q(status__in=FINISHED_TASK_STATUSES))
    )
    project.task_count = counts["total"]
    project.finished_task_count = counts["finished"]
    # The planned finish follows the plan unless the manager set it by hand.
    old_blueprints = _blueprints(from_version)
    if project.planned_finish == _planned_finish(project.start_date, old_blueprints, calendar):
        project.planned_finish = _planned_finish(project.start_date, _blueprints(version), calendar)
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
    return project
