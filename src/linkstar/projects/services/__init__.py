"""Every write on store projects, tasks and comments.

Each function checks the policy, validates, runs in one transaction, appends the audit event
and returns the model. Web pages, the API, the CLI and the importers all call these.
"""

from linkstar.core.clock import org_today
from linkstar.projects.services.bulk import bulk_update_tasks
from linkstar.projects.services.comments import add_comment, find_mentions
from linkstar.projects.services.corrections import (
    may_reopen,
    reopen_task,
    return_for_correction,
)
from linkstar.projects.services.creation import (
    create_project,
    create_projects_batch,
    materialise,
    validate_projects_batch,
)
from linkstar.projects.services.lifecycle import (
    change_stage,
    close_project,
    lock_project,
    require_active,
    restorable_until,
    restore_project,
    update_project,
)
from linkstar.projects.services.rows import MANAGER_ROLES, ProjectRow, prepare_rows
from linkstar.projects.services.schedule import (
    DateMove,
    dependency_errors,
    plan_reschedule,
    reschedule_task,
)
from linkstar.projects.services.tasks import finish_task, skip_task, update_task

__all__ = [
    "MANAGER_ROLES",
    "DateMove",
    "ProjectRow",
    "add_comment",
    "bulk_update_tasks",
    "change_stage",
    "close_project",
    "create_project",
    "create_projects_batch",
    "dependency_errors",
    "find_mentions",
    "finish_task",
    "lock_project",
    "materialise",
    "may_reopen",
    "org_today",
    "plan_reschedule",
    "prepare_rows",
    "reopen_task",
    "require_active",
    "reschedule_task",
    "restorable_until",
    "restore_project",
    "return_for_correction",
    "skip_task",
    "update_project",
    "update_task",
    "validate_projects_batch",
]
