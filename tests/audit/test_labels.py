"""The audit log's words for recorded changes."""

from __future__ import annotations

from django.utils import translation

from linkstar.audit.labels import change_lines, referenced_ids


def test_a_task_field_in_a_project_entry_is_named_by_task_and_field_in_words():
    changes = {
        "task:upload-license:status": {"before": "todo", "after": "done"},
        "task:upload-license:assignee_id": {"before": None, "after": 7},
    }
    assert referenced_ids([changes], "user") == {7}
    with translation.override("en"):
        status, assignee = change_lines(changes, names={"user": {7: "Carol"}})
    assert status.label == "Task upload-license: Status"
    assert (status.before, status.after) == ("To do", "Done")
    assert assignee.label == "Task upload-license: Assignee"
    assert assignee.after == "Carol"


def test_an_ordinary_field_keeps_its_own_label():
    with translation.override("en"):
        [line] = change_lines({"status": {"before": "todo", "after": "in_progress"}})
    assert (line.label, line.before, line.after) == ("Status", "To do", "In progress")


def test_a_new_projects_assignments_read_as_roles_and_names():
    changes = {
        "assignees": {
            "before": None,
            "after": {
                "manager": {"user_id": 3, "tasks": 2},
                "operator": {"user_id": 7, "tasks": 16},
                "reviewer": {"user_id": None, "tasks": 1},
            },
        }
    }
    assert referenced_ids([changes], "user") == {3, 7}
    with translation.override("en"):
        [line] = change_lines(changes, names={"user": {3: "Bob", 7: "Carol"}})
    assert line.label == "Assignees by role"
    assert line.after == "Project manager: Bob (2); Operator: Carol (16); Reviewer: nobody (1)"
