"""The words of the audit events of projects, tasks and comments, and how a project's history
says them ("moved the stage", "reopened task “…”")."""

from __future__ import annotations

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.audit import labels
from linkstar.projects.models import ProjectStatus, Stage, TaskStatus


def _checklist_text(value) -> str:
    """The checklist items as recorded → "2 of 4 ticked"."""
    if not isinstance(value, list):
        return str(value)
    done = sum(1 for item in value if isinstance(item, dict) and item.get("done"))
    return _g("%(done)d of %(total)d ticked") % {"done": done, "total": len(value)}


def _commented(changes) -> str:
    on_task = (changes.get("task_id") or {}).get("after")
    return _("commented on task “%(task)s”") if on_task else _("commented on the project")


labels.register(
    actions={
        "project.created": _("Project created"),
        "project.updated": _("Project updated"),
        "project.stage_changed": _("Project stage changed"),
        "project.closed": _("Project closed"),
        "project.upgraded": _("Project upgraded to a new template version"),
        "project.restored": _("Cancelled project restored"),
        "task.updated": _("Task updated"),
        "task.skipped": _("Task skipped"),
        "task.reopened": _("Task reopened"),
        "task.returned": _("Task returned for correction"),
        "comment.created": _("Comment added"),
    },
    groups={
        "project.": _("Projects: all"),
        "task.": _("Tasks: all"),
        "comment.": _("Comments: all"),
    },
    object_types={
        "storeproject": pgettext_lazy("audit", "Project"),
        "task": pgettext_lazy("audit", "Task"),
        "comment": pgettext_lazy("audit", "Comment"),
    },
    fields={
        "reset": _("Later tasks back to to-do"),
        "unticked": _("Completed with unticked items"),
        "missing_documents": _("Completed without the documents"),
        "confirm_reason": _("Why it was completed anyway"),
        "moved_with": _("Moved with"),
        "skip_reason": _("Why not applicable"),
        "code": pgettext_lazy("audit", "Code"),
        "store_name": pgettext_lazy("audit", "Store name"),
        "site": pgettext_lazy("audit", "Site"),
        "manager_id": pgettext_lazy("audit", "Manager"),
        "member_ids": pgettext_lazy("audit", "Team"),
        "assignees": pgettext_lazy("audit", "Assignees by role"),
        "tasks": pgettext_lazy("audit", "Tasks"),
        "start_date": pgettext_lazy("audit", "Start date"),
        "due_date": pgettext_lazy("audit", "Due date"),
        "planned_finish": pgettext_lazy("audit", "Planned finish"),
        "stage": pgettext_lazy("audit", "Stage"),
        "status": pgettext_lazy("audit", "Status"),
        "note": pgettext_lazy("audit", "Note"),
        "by_task": pgettext_lazy("audit", "Set by task"),
        "reason": pgettext_lazy("audit", "Reason"),
        "assignee_id": pgettext_lazy("audit", "Assignee"),
        "task_id": pgettext_lazy("audit", "Task"),
        "comment": pgettext_lazy("audit", "Comment"),
        "body": pgettext_lazy("audit", "Text"),
        "mentions": pgettext_lazy("audit", "Mentioned"),
        "checklist": pgettext_lazy("audit", "Checklist"),
    },
    values={
        "stage": Stage.choices,
        "status": {
            "task": TaskStatus.choices,
            "storeproject": ProjectStatus.choices,
        },
    },
    references={
        "manager_id": "user",
        "assignee_id": "user",
        "member_ids": "user",
        "assignees": "user",
        "mentions": "user",
        "requested_by": "user",
    },
    formatters={"checklist": _checklist_text},
    sentences={
        "project.created": _("created the project"),
        "project.updated": _("changed the project"),
        "project.stage_changed": _("moved the stage"),
        "project.closed": _("closed the project"),
        "project.restored": _("restored the cancelled project"),
        "project.upgraded": _("upgraded the project to a newer template version"),
        "task.updated": _("updated task “%(task)s”"),
        "task.skipped": _("marked task “%(task)s” not applicable"),
        "task.reopened": _("reopened task “%(task)s”"),
        "task.returned": _("returned task “%(task)s” for correction"),
        "comment.created": _commented,
    },
    hidden={"task_id"},
)
