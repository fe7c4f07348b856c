"""Reads of a template upgrade (升级模板版本): which versions are newer, which projects are behind,
and the plan — what upgrading would do, task by task — computed the same way for the preview and
for the upgrade itself (``services/upgrade.py``).

When a platform changes its rules, an administrator publishes a new template version; projects
already running stay on the version they were created from until their manager upgrades them.
The rule of an upgrade: what the new version adds is created, what it removes is skipped if
nobody started it, what it changes is updated if nobody started it; started and finished work
is never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from linkstar.accounts.workcalendar import work_calendar
from linkstar.accounts.workdays import WorkCalendar
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput
from linkstar.playbooks.diff import FieldChange, VersionDiff, diff_blueprints, task_changes
from linkstar.playbooks.models import Template, TemplateVersion, VersionStatus, blueprint_as_dict
from linkstar.projects import visibility
from linkstar.projects.models import ProjectStatus, StoreProject, Task, TaskStatus

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


def check_upgrade(actor: Actor, project: StoreProject, version: TemplateVersion) -> None:
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


def blueprints_of(version: TemplateVersion) -> list[dict]:
    return [
        {**blueprint_as_dict(bp), "position": bp.position}
        for bp in version.blueprints.order_by("position")
    ]


def plan_tasks(project: StoreProject, *, lock: bool) -> list[Task]:
    qs = Task.objects.filter(project_id=project.pk)
    if lock:
        qs = qs.select_for_update()
    return list(
        qs.prefetch_related(
            Prefetch("depends_on", queryset=Task.objects.only("id", "key"), to_attr="dep_list")
        ).order_by("position", "id")
    )


def task_as_blueprint(task: Task, start: dt.date, calendar: WorkCalendar) -> dict:
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


def plan_upgrade(
    project: StoreProject,
    version: TemplateVersion,
    tasks: list[Task],
    calendar: WorkCalendar,
) -> UpgradePlan:
    old = blueprints_of(project.template_version)
    new = blueprints_of(version)
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
        base = old_by_key.get(bp["key"]) or task_as_blueprint(task, project.start_date, calendar)
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
    check_upgrade(actor, project, version)
    return plan_upgrade(
        project, version, plan_tasks(project, lock=False), work_calendar(project.organization_id)
    )
