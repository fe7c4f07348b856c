from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from linkstar.audit.schemas import AuditEventOut
from linkstar.core.api import bounded
from linkstar.projects.models import StoreProject, Task

TEAM_ROLES_HELP = (
    'task role → user ids who do it, e.g. {"operator": [12, 13]}: each project\'s tasks of that'
    " role go to the least loaded of them (who then joins the project's team); without it, to"
    " the project's members holding that organization role; the manager's to the manager"
)


class ProjectListFilters(Schema):
    """The project list's filters (API list, exports, archives of a filter)."""

    site: str | None = None
    platform: str | None = None
    stage: str | None = None
    status: str | None = None
    manager: int | None = None
    entity: int | None = None
    overdue: bool | None = None
    q: str | None = None


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    name: str
    email: str


class TemplateRef(Schema):
    id: int
    version: int
    newer_version: int | None = Field(
        None,
        description="a newer published version of the template, while the project is active "
        "and on an older one (its manager may upgrade it)",
    )


class ForecastOut(Schema):
    p50: dt.date = Field(description="the expected opening date (as likely before as after)")
    p80: dt.date = Field(description="80 % of similar projects had opened by then")
    basis: str = Field(description="site, platform (the organization's history) or plan")
    history: int = Field(description="how many earlier openings it rests on (0 for the plan)")
    slipping: bool = Field(description="the 80 % date is after the planned finish")


class ProjectOut(Schema):
    id: int
    code: str
    store_name: str
    site: str
    platform: str
    currency: str
    entity_id: int
    entity: Ref
    manager_id: int | None
    manager: UserRef | None
    member_ids: list[int]
    stage: str
    status: str
    start_date: dt.date
    planned_finish: dt.date
    progress: int = Field(description="done-or-skipped tasks / all tasks, 0..100")
    overdue: bool = Field(description="an open task is past its due date")
    task_count: int
    finished_task_count: int
    template: TemplateRef
    version: int
    created_at: dt.datetime
    closed_at: dt.datetime | None
    forecast: ForecastOut | None = Field(
        None, description="when an active project not yet opened is expected to open"
    )


class ProjectList(Schema):
    items: list[ProjectOut]
    count: int


class ProjectIn(Schema):
    template_id: int
    version: int | None = Field(
        None, description="template version number; default the latest published"
    )
    store_name: str = bounded(StoreProject, "store_name")
    site: str | None = None
    entity_id: int
    manager_id: int | None = None
    start_date: dt.date | None = None
    members: list[int] = []
    team_roles: dict[str, list[int]] = Field(default_factory=dict, description=TEAM_ROLES_HELP)


class BatchRow(Schema):
    store_name: str = bounded(StoreProject, "store_name")
    entity_id: int
    site: str | None = None
    manager_id: int | None = None


class BatchIn(Schema):
    template_id: int
    version: int | None = None
    start_date: dt.date | None = None
    members: list[int] = []
    team_roles: dict[str, list[int]] = Field(default_factory=dict, description=TEAM_ROLES_HELP)
    rows: list[BatchRow]


class BatchOut(Schema):
    created: list[int]
    codes: list[str]


class ProjectPatch(Schema):
    store_name: str | None = bounded(StoreProject, "store_name", None)
    manager_id: int | None = None
    members: list[int] | None = None
    start_date: dt.date | None = None
    planned_finish: dt.date | None = None
    version: int | None = None


class StageIn(Schema):
    stage: str = bounded(StoreProject, "stage")
    note: str | None = None
    version: int | None = None


class VersionIn(Schema):
    version: int | None = None


class RestoreIn(Schema):
    note: str | None = None
    version: int | None = None


class ChecklistItem(Schema):
    text: str
    text_en: str | None = Field(None, description="the item in English, when the template has it")
    done: bool = False


class TaskOut(Schema):
    id: int
    project_id: int
    key: str
    title: str
    title_en: str
    description: str
    phase: str
    status: str
    role: str | None
    assignee_id: int | None
    start_date: dt.date | None
    due_date: dt.date | None
    depends_on: list[int]
    blocked: bool = Field(description="a task it depends on is neither done nor skipped")
    approval_levels: int
    document_types: list[str]
    checklist: list[ChecklistItem]
    sets_stage: str | None
    skip_reason: str
    overdue: bool
    version: int


class TaskList(Schema):
    items: list[TaskOut]
    count: int


class TaskPatch(Schema):
    assignee_id: int | None = None
    due_date: dt.date | None = None
    start_date: dt.date | None = None
    status: str | None = bounded(Task, "status", None)
    checklist: list[ChecklistItem] | None = None
    confirm_reason: str | None = Field(
        None,
        description="with status done: why it is complete though documents are missing or "
        "expired (recorded); unticked checklist items are recorded either way",
    )
    version: int | None = None


class TaskBulkIn(Schema):
    action: str = Field(description="assign, move_due, start, complete, skip or reopen")
    task_ids: list[int]
    assignee_id: int | None = Field(None, description="assign: the new assignee (null clears)")
    days: int | None = Field(None, description="move_due: days to move the due dates by")
    reason: str | None = Field(None, description="skip: why the tasks do not apply")
    working_days: bool = Field(
        False, description="move_due: count `days` in the organization's working days"
    )


class TaskBulkOut(Schema):
    action: str
    count: int
    items: list[TaskOut]


class SkipIn(Schema):
    reason: str
    version: int | None = None


class ReopenIn(Schema):
    reason: str
    dependants: Literal["keep", "reset"] = Field(
        "keep", description="the later tasks that have started: keep them, or reset them to to-do"
    )
    version: int | None = None


class ReturnIn(Schema):
    reason: str = Field(description="what needs to be fixed")
    version: int | None = None


class DependantOut(Schema):
    id: int
    key: str
    title: str
    title_en: str
    status: str
    assignee_id: int | None


class RescheduleIn(Schema):
    due_date: dt.date
    start_date: dt.date | None = None
    version: int | None = None


class DateMoveOut(Schema):
    id: int
    key: str
    title: str
    title_en: str
    status: str
    start_before: dt.date | None
    due_before: dt.date | None
    start_after: dt.date | None
    due_after: dt.date | None
    days: int
    kept: bool = Field(description="finished: keeps its dates though the plan would move it")


class RescheduleOut(Schema):
    task_id: int
    moves: list[DateMoveOut]


class ReopenPreview(Schema):
    task_id: int
    status: str
    may_reopen: bool
    may_reset: bool = Field(description="whether the caller may reset the later tasks")
    becomes: str = Field(description="the status the task takes when reopened")
    started_dependants: list[DependantOut]


class CommentIn(Schema):
    body: str
    # Staff choose; a client's comment is always for the client.
    for_client: bool = False


class CommentOut(Schema):
    id: int
    project_id: int
    task_id: int | None
    author_id: int | None
    author: str
    body: str
    mentions: list[int]
    for_client: bool
    created_at: dt.datetime


class CommentList(Schema):
    items: list[CommentOut]
    count: int


class StageChangeOut(Schema):
    from_stage: str | None
    to_stage: str
    note: str
    actor_id: int | None
    task_id: int | None
    at: dt.datetime


class HistoryOut(Schema):
    stage_changes: list[StageChangeOut]
    events: list[AuditEventOut]
