"""bulk_update_tasks: one action on tasks of several projects, all or nothing, by the one-task
rules; each task audited; one notification per kind (issue 12 §3.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.approvals.models import ApprovalRequest
from linkstar.audit.models import AuditEvent
from linkstar.core.exceptions import (
    DependencyNotDone,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from linkstar.notifications import events
from linkstar.notifications.models import Event
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.services import bulk_update_tasks, create_project, update_task
from tests.support.seed import MINI_TASKS, PROJECT_START, build_project, publish_template


@pytest.fixture
def second_project(as_bob, mini_template, entity, carol) -> StoreProject:
    return build_project(
        manager=as_bob,
        template=mini_template,
        entity=entity,
        members=[carol],
        store_name="Mini Shop Two",
    )


@pytest.fixture
def publishes(monkeypatch):
    """The calls of publish_many (kind, number of items) and of publish (kind)."""
    calls = {"many": [], "one": []}
    many, one = events.publish_many, events.publish

    def publish_many(kind, **kwargs):
        calls["many"].append((kind, len(kwargs["items"])))
        return many(kind, **kwargs)

    def publish(kind, **kwargs):
        calls["one"].append(kind)
        return one(kind, **kwargs)

    monkeypatch.setattr(events, "publish_many", publish_many)
    monkeypatch.setattr(events, "publish", publish)
    return calls


def ids(*tasks) -> list[int]:
    return [t.pk for t in tasks]


def state() -> list[tuple]:
    """Every task's changeable state, and the audit count: to assert nothing changed."""
    return [
        *Task.objects.order_by("pk").values_list(
            "pk", "status", "assignee_id", "due_date", "version", "skip_reason"
        ),
        AuditEvent.objects.count(),
        Event.objects.count(),
    ]


# --- assign ----------------------------------------------------------------------------------


def test_a_manager_assigns_tasks_of_several_projects_at_once(
    as_bob, mini_project, second_project, dave, task_of, publishes
):
    chosen = [task_of(p, k) for p in (mini_project, second_project) for k in ("collect", "submit")]
    bulk_update_tasks(actor=as_bob, action="assign", task_ids=ids(*chosen), assignee_id=dave.pk)
    for task in chosen:
        task.refresh_from_db()
        assert task.assignee == dave
        assert task.version == 2
    events_ = AuditEvent.objects.filter(action="task.updated").order_by("seq")
    assert [e.object_id for e in events_] == [str(t.pk) for t in chosen]
    assert events_[0].changes["assignee_id"]["after"] == dave.pk
    # one summarised publication for the whole action, nothing published task by task
    assert publishes["many"] == [("task.assigned", 4)]
    assert publishes["one"] == []


def test_tasks_already_with_the_assignee_are_left_alone(
    as_bob, mini_project, carol, task_of, publishes
):
    collect, check = task_of(mini_project, "collect"), task_of(mini_project, "check")
    bulk_update_tasks(
        actor=as_bob, action="assign", task_ids=ids(collect, check), assignee_id=carol.pk
    )
    collect.refresh_from_db()
    assert collect.version == 1  # it was carol's already
    assert AuditEvent.objects.filter(action="task.updated").count() == 1
    assert publishes["many"] == [("task.assigned", 1)]


def test_an_operator_may_not_assign(as_carol, mini_project, carol, task_of):
    before = state()
    with pytest.raises(PermissionDenied) as caught:
        bulk_update_tasks(
            actor=as_carol,
            action="assign",
            task_ids=ids(task_of(mini_project, "check")),
            assignee_id=carol.pk,
        )
    assert caught.value.detail.startswith(f"{mini_project.code} · Check the pack:")
    assert state() == before


def test_one_project_not_managed_refuses_the_whole_action_naming_its_task(
    as_alice, other_manager, mini_template, mini_project, entity, dave, task_of
):
    others = create_project(
        actor=other_manager,
        template_id=mini_template.pk,
        store_name="Oscar's",
        entity_id=entity.pk,
        start_date=PROJECT_START,
    )
    before = state()
    with pytest.raises(PermissionDenied) as caught:
        bulk_update_tasks(
            actor=other_manager,
            action="assign",
            task_ids=ids(task_of(others, "collect"), task_of(mini_project, "collect")),
            assignee_id=dave.pk,
        )
    assert caught.value.detail.startswith(f"{mini_project.code} · Collect documents:")
    assert state() == before


def test_the_assignee_must_be_a_member(as_bob, mini_project, mallory, task_of):
    before = state()
    with pytest.raises(InvalidInput) as caught:
        bulk_update_tasks(
            actor=as_bob,
            action="assign",
            task_ids=ids(task_of(mini_project, "collect")),
            assignee_id=mallory.pk,
        )
    assert caught.value.errors[0].field == "assignee_id"
    assert state() == before


def test_an_unknown_or_foreign_task_is_named_and_nothing_changes(
    as_bob, mini_project, dave, task_of
):
    before = state()
    with pytest.raises(InvalidInput) as caught:
        bulk_update_tasks(
            actor=as_bob,
            action="assign",
            task_ids=[task_of(mini_project, "collect").pk, 987654],
            assignee_id=dave.pk,
        )
    assert caught.value.errors[0].field == "task_ids"
    assert "987654" in caught.value.errors[0].message
    assert state() == before


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"action": "explode"}, "action"),
        ({"action": "assign", "task_ids": []}, "task_ids"),
        ({"action": "move_due", "days": 0}, "days"),
        ({"action": "skip", "reason": "  "}, "reason"),
    ],
)
def test_bad_input_is_named(as_bob, mini_project, task_of, options, field):
    before = state()
    with pytest.raises(InvalidInput) as caught:
        bulk_update_tasks(
            actor=as_bob,
            **{"task_ids": ids(task_of(mini_project, "collect")), **options},
        )
    assert caught.value.errors[0].field == field
    assert state() == before


def test_too_many_tasks_at_once_are_refused(as_bob, mini_project, task_of, settings):
    settings.LINKSTAR_BULK_TASKS_MAX = 2
    tasks = list(mini_project.tasks.all())
    with pytest.raises(InvalidInput):
        bulk_update_tasks(actor=as_bob, action="skip", task_ids=ids(*tasks), reason="x")


# --- due dates -------------------------------------------------------------------------------


def test_due_dates_move_by_n_days(as_bob, mini_project, second_project, task_of):
    chosen = [task_of(mini_project, "collect"), task_of(second_project, "submit")]
    dues = [t.due_date for t in chosen]
    bulk_update_tasks(actor=as_bob, action="move_due", task_ids=ids(*chosen), days=3)
    for task, due in zip(chosen, dues, strict=True):
        task.refresh_from_db()
        assert task.due_date == due + dt.timedelta(days=3)
    event = AuditEvent.objects.filter(action="task.updated").first()
    assert event.changes["due_date"] == {
        "before": dues[0].isoformat(),
        "after": (dues[0] + dt.timedelta(days=3)).isoformat(),
    }


def test_a_due_date_moved_before_its_start_refuses_the_action(as_bob, mini_project, task_of):
    collect, submit = task_of(mini_project, "collect"), task_of(mini_project, "submit")
    before = state()
    with pytest.raises(InvalidInput) as caught:  # submit lasts 1 day, collect 2
        bulk_update_tasks(actor=as_bob, action="move_due", task_ids=ids(collect, submit), days=-2)
    assert caught.value.errors[0].field == "due_date"
    assert caught.value.errors[0].message.startswith(f"{mini_project.code} · Submit")
    assert state() == before


# --- start, complete -------------------------------------------------------------------------


def test_tasks_whose_dependencies_are_done_start_together(
    as_carol, mini_project, second_project, task_of
):
    chosen = [
        task_of(p, k) for p in (mini_project, second_project) for k in ("collect", "announce")
    ]
    bulk_update_tasks(actor=as_carol, action="start", task_ids=ids(*chosen))
    assert {t.status for t in Task.objects.filter(pk__in=ids(*chosen))} == {"in_progress"}
    assert all(t.started_at for t in Task.objects.filter(pk__in=ids(*chosen)))


def test_a_task_waiting_on_an_open_dependency_refuses_the_start(as_bob, mini_project, task_of):
    before = state()
    with pytest.raises(DependencyNotDone) as caught:
        bulk_update_tasks(
            actor=as_bob,
            action="start",
            task_ids=ids(task_of(mini_project, "collect"), task_of(mini_project, "check")),
        )
    assert "Check the pack" in caught.value.detail and "collect" in caught.value.detail
    assert state() == before


def test_completing_counts_the_finished_tasks_and_publishes_once(
    as_carol, mini_project, second_project, task_of, publishes, reload
):
    chosen = [task_of(p, "collect") for p in (mini_project, second_project)]
    bulk_update_tasks(actor=as_carol, action="start", task_ids=ids(*chosen))
    bulk_update_tasks(actor=as_carol, action="complete", task_ids=ids(*chosen))
    for task in chosen:
        task.refresh_from_db()
        assert (task.status, task.version) == ("done", 3)
        assert task.completed_at is not None
    assert reload(mini_project).finished_task_count == 1
    assert reload(second_project).finished_task_count == 1
    assert publishes["many"] == [("task.done", 2)]
    assert publishes["one"] == []
    # their checklists were not ticked: each completion records it
    from linkstar.audit.models import AuditEvent

    for task in chosen:
        done = AuditEvent.objects.filter(action="task.updated", object_id=str(task.pk)).latest("id")
        assert done.changes["unticked"]["after"] == ["licence", "id card"]


def test_a_task_not_started_cannot_be_completed(as_carol, mini_project, task_of):
    before = state()
    with pytest.raises(TransitionNotAllowed) as caught:
        bulk_update_tasks(
            actor=as_carol, action="complete", task_ids=ids(task_of(mini_project, "collect"))
        )
    assert caught.value.detail.startswith(f"{mini_project.code} · Collect documents:")
    assert state() == before


def test_a_stage_the_task_may_not_move_to_undoes_the_whole_action(
    as_carol, mini_project, second_project, task_of
):
    # announce asks for ``opened``, which the state machine refuses from ``preparing``
    good, bad = task_of(second_project, "collect"), task_of(mini_project, "announce")
    bulk_update_tasks(actor=as_carol, action="start", task_ids=ids(good, bad))
    before = state()
    with pytest.raises(TransitionNotAllowed) as caught:
        bulk_update_tasks(actor=as_carol, action="complete", task_ids=ids(good, bad))
    assert "Announce the store" in caught.value.detail
    assert state() == before
    assert StoreProject.objects.get(pk=second_project.pk).finished_task_count == 0


def test_a_task_needing_approval_gets_its_request_and_waits(
    as_alice, as_bob, as_carol, entity, carol
):
    template = publish_template(as_alice, [dict(MINI_TASKS[0], approval_levels=1)], name="Appr")
    project = create_project(
        actor=as_bob,
        template_id=template.pk,
        store_name="Approved",
        entity_id=entity.pk,
        start_date=PROJECT_START,
        members=[carol.pk],
    )
    task = project.tasks.get()
    update_task(actor=as_carol, task=task, status="in_progress")
    bulk_update_tasks(actor=as_carol, action="complete", task_ids=[task.pk])
    task.refresh_from_db()
    assert task.status == "awaiting_approval"
    assert ApprovalRequest.objects.filter(task=task, status="pending").count() == 1
    assert StoreProject.objects.get(pk=project.pk).finished_task_count == 0


# --- skip ------------------------------------------------------------------------------------


def test_a_manager_skips_tasks_with_a_reason(as_bob, mini_project, task_of, reload):
    chosen = [task_of(mini_project, "announce"), task_of(mini_project, "go-live")]
    bulk_update_tasks(actor=as_bob, action="skip", task_ids=ids(*chosen), reason="不适用于本店")
    for task in chosen:
        task.refresh_from_db()
        assert (task.status, task.skip_reason) == ("skipped", "不适用于本店")
    assert reload(mini_project).finished_task_count == 2
    event = AuditEvent.objects.filter(action="task.skipped").first()
    assert event.changes == {
        "status": {"before": "todo", "after": "skipped"},
        "reason": {"before": None, "after": "不适用于本店"},
    }


def test_an_operator_may_not_skip(as_carol, mini_project, task_of):
    with pytest.raises(PermissionDenied):
        bulk_update_tasks(
            actor=as_carol,
            action="skip",
            task_ids=ids(task_of(mini_project, "announce")),
            reason="no",
        )


def test_a_finished_task_in_the_selection_refuses_the_skip(as_bob, mini_project, task_of):
    announce = task_of(mini_project, "announce")
    bulk_update_tasks(actor=as_bob, action="skip", task_ids=[announce.pk], reason="n/a")
    before = state()
    with pytest.raises(TransitionNotAllowed) as caught:
        bulk_update_tasks(
            actor=as_bob,
            action="skip",
            task_ids=ids(task_of(mini_project, "go-live"), announce),
            reason="n/a",
        )
    assert "Announce the store" in caught.value.detail
    assert state() == before


# --- reopen ----------------------------------------------------------------------------------


def test_a_manager_reopens_the_same_step_of_many_stores_with_a_reason(
    as_bob, as_carol, mini_project, second_project, task_of, reload, publishes, carol
):
    """A platform sends back the same document for every store: its step is opened again in
    each, in progress where it had started, to do where it was skipped untouched."""
    done = [task_of(p, "collect") for p in (mini_project, second_project)]
    for task in done:
        update_task(actor=as_bob, task=task, assignee_id=carol.pk)
    bulk_update_tasks(actor=as_carol, action="start", task_ids=ids(*done))
    bulk_update_tasks(actor=as_carol, action="complete", task_ids=ids(*done))
    skipped = task_of(mini_project, "announce")
    bulk_update_tasks(actor=as_bob, action="skip", task_ids=[skipped.pk], reason="n/a")
    publishes["many"].clear()
    bulk_update_tasks(
        actor=as_bob, action="reopen", task_ids=ids(*done, skipped), reason="平台退回营业执照"
    )
    for task in done:
        task.refresh_from_db()
        assert (task.status, task.completed_at) == ("in_progress", None)
    skipped.refresh_from_db()
    assert (skipped.status, skipped.skip_reason) == ("todo", "")
    assert reload(mini_project).finished_task_count == 0
    assert reload(second_project).finished_task_count == 0
    events_ = AuditEvent.objects.filter(action="task.reopened").order_by("pk")
    assert events_.count() == 3
    assert all(e.changes["reason"]["after"] == "平台退回营业执照" for e in events_)
    assert events_.get(object_id=str(skipped.pk)).changes["status"] == {
        "before": "skipped",
        "after": "todo",
    }
    assigned = [t for t in (*done, skipped) if t.assignee_id is not None]
    assert len(assigned) >= 2  # carol's two, and whoever the skipped step's role gave it to
    assert publishes["many"] == [("task.reopened", len(assigned))]  # one batch for them all


def test_a_bulk_reopen_needs_a_reason_the_manager_and_finished_tasks(
    as_bob, as_carol, mini_project, task_of
):
    announce, go_live = task_of(mini_project, "announce"), task_of(mini_project, "go-live")
    bulk_update_tasks(actor=as_bob, action="skip", task_ids=[announce.pk], reason="n/a")
    before = state()
    with pytest.raises(InvalidInput) as caught:
        bulk_update_tasks(actor=as_bob, action="reopen", task_ids=[announce.pk], reason=" ")
    assert caught.value.errors[0].field == "reason"
    with pytest.raises(PermissionDenied):
        bulk_update_tasks(actor=as_carol, action="reopen", task_ids=[announce.pk], reason="x")
    with pytest.raises(TransitionNotAllowed) as caught:
        bulk_update_tasks(
            actor=as_bob, action="reopen", task_ids=ids(announce, go_live), reason="x"
        )
    assert "Go live" in caught.value.detail
    assert state() == before


# --- cost ------------------------------------------------------------------------------------


def test_a_bulk_assignment_costs_the_same_queries_for_5_or_50_tasks(
    as_bob, mini_template, entity, dave, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linkstar.projects.services import ProjectRow, create_projects_batch

    projects = create_projects_batch(
        actor=as_bob,
        template_id=mini_template.pk,
        rows=[ProjectRow(store_name=f"S{i}", entity_id=entity.pk) for i in range(10)],
        start_date=PROJECT_START,
    )
    tasks = list(Task.objects.filter(project__in=projects).order_by("pk"))
    with CaptureQueriesContext(connection) as small:
        bulk_update_tasks(
            actor=as_bob, action="assign", task_ids=ids(*tasks[:5]), assignee_id=dave.pk
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        bulk_update_tasks(
            actor=as_bob, action="assign", task_ids=ids(*tasks[5:]), assignee_id=dave.pk
        )
    assert Task.objects.filter(assignee=dave).count() == 50


def test_tasks_already_in_the_status_asked_for_are_left_alone(as_carol, mini_project, task_of):
    collect, announce = task_of(mini_project, "collect"), task_of(mini_project, "announce")
    bulk_update_tasks(actor=as_carol, action="start", task_ids=[collect.pk])
    bulk_update_tasks(actor=as_carol, action="start", task_ids=ids(collect, announce))
    collect.refresh_from_db()
    assert collect.version == 2  # started once, not again
    assert Task.objects.get(pk=announce.pk).status == "in_progress"
    assert AuditEvent.objects.filter(action="task.updated", object_id=str(collect.pk)).count() == 1
