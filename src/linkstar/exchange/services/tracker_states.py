"""The tracker's stages and task columns, applied to the projects an import created."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from linkstar.audit.services import Entry, diff, record_many
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.projects.models import Stage, StageChange, Task, TaskStatus
from linkstar.projects.services import status as task_status
from linkstar.projects.services.lifecycle import write_imported_stages

# --- the tracker's stages and task columns ------------------------------------------------------


def apply_imported_states(*, actor: Actor, created: list) -> dict:
    """Give imported projects the stage and task states their tracker records: the stage (one
    ``StageChange`` from preparing, noted as imported, audited as ``project.stage_changed``),
    and per task the status, assignee and due date. Statuses were checked against the plan's
    dependencies; a due date before the task's planned start moves the start to it. The task
    changes of one project are audited as one ``project.updated`` event that lists every
    changed task field (``task:<key>:<field>``, before and after). Written with a few
    statements per chunk of projects, whatever the number of tasks. Historical facts: no
    notifications."""

    policy.require(actor, "project.create")
    now = timezone.now()
    note = _("Imported from a tracker.")
    entries: list[Entry] = []
    stage_rows = []
    changes_log = []
    task_updates = []
    finished: dict[int, int] = {}
    wanted = [(p, s) for p, s in created if s.tasks]
    keys = {key for _p, s in wanted for key in s.tasks}
    adapt_date = connection.ops.adapt_datefield_value
    adapt_time = connection.ops.adapt_datetimefield_value
    stamp = adapt_time(now)
    fields = ("status", "assignee_id", "start_date", "due_date")
    tasks = (
        {
            (t[1], t[2]): t
            for t in Task.objects.filter(
                project_id__in=[p.pk for p, _s in wanted], key__in=keys
            ).values_list("id", "project_id", "key", *fields)
        }
        if wanted
        else {}
    )
    for project, s in wanted:
        changes: dict = {}
        for key, state in s.tasks.items():
            task = tasks[(project.pk, key)]
            before = dict(zip(fields, task[3:], strict=True))
            after = dict(before)
            if state.status:
                after["status"] = state.status
            if state.assignee_id is not None:
                after["assignee_id"] = state.assignee_id
            if state.due_date is not None:
                after["due_date"] = state.due_date
                if after["start_date"] and state.due_date < after["start_date"]:
                    after["start_date"] = state.due_date
            if after == before:
                continue
            status = after["status"]
            started = stamp if status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE) else None
            completed = stamp if status in (TaskStatus.DONE, TaskStatus.SKIPPED) else None
            if completed:
                finished[project.pk] = finished.get(project.pk, 0) + 1
            task_updates.append(
                (
                    status,
                    after["assignee_id"],
                    adapt_date(after["start_date"]),
                    adapt_date(after["due_date"]),
                    started,
                    completed,
                    note if status == TaskStatus.SKIPPED else "",
                    stamp,
                    task[0],
                )
            )
            for name, change in diff(before, after).items():
                changes[f"task:{key}:{name}"] = change
        if changes:
            changes["imported"] = {"before": None, "after": True}
            entries.append(
                Entry(
                    action="project.updated",
                    object_type="storeproject",
                    object_id=project.pk,
                    object_repr=str(project),
                    project_id=project.pk,
                    changes=changes,
                )
            )
    for project, s in created:
        if s.stage and s.stage != Stage.PREPARING:
            stage_rows.append((s.stage, stamp, project.pk))
            changes_log.append(
                StageChange(
                    project=project,
                    from_stage=Stage.PREPARING,
                    to_stage=s.stage,
                    note=note,
                    actor_id=actor.user_id,
                    at=now,
                )
            )
            entries.append(
                Entry(
                    action="project.stage_changed",
                    object_type="storeproject",
                    object_id=project.pk,
                    object_repr=str(project),
                    project_id=project.pk,
                    changes={
                        "stage": {"before": Stage.PREPARING.value, "after": s.stage},
                        "note": {"before": None, "after": note},
                    },
                )
            )
            project.stage = s.stage
    task_status.write_imported(task_updates, finished)
    write_imported_stages(stage_rows, changes_log)
    record_many(actor=actor, entries=entries)
    return {"tasks_updated": len(task_updates), "stages_set": len(stage_rows)}
