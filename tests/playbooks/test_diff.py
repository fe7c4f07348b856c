"""The version diff: a pure comparison of two plans by blueprint key."""

from __future__ import annotations

from linkstar.playbooks.diff import FieldChange, diff_blueprints, task_changes


def bp(key: str, **fields) -> dict:
    return {
        "key": key,
        "title": f"Task {key}",
        "title_en": "",
        "description": "",
        "description_en": "",
        "phase": "documents",
        "offset_days": 0,
        "duration_days": 1,
        "depends_on": [],
        "role": None,
        "document_types": [],
        "approval_levels": 0,
        "checklist": [],
        "sets_stage": None,
        **fields,
    }


def test_identical_plans_have_an_empty_diff():
    plan = [bp("a"), bp("b", depends_on=["a"])]
    diff = diff_blueprints(plan, [dict(t) for t in plan])
    assert diff.is_empty
    assert diff.unchanged == ["a", "b"]
    assert diff.added == diff.removed == diff.changed == []


def test_a_new_key_is_added_and_a_missing_key_removed():
    diff = diff_blueprints([bp("a"), bp("old")], [bp("a"), bp("new")])
    assert [t["key"] for t in diff.added] == ["new"]
    assert [t["key"] for t in diff.removed] == ["old"]
    assert diff.changed == []
    assert not diff.is_empty


def test_changed_fields_are_listed_one_by_one_with_before_and_after():
    diff = diff_blueprints(
        [bp("a", title="Prepare", duration_days=2, checklist=["x"])],
        [bp("a", title="Prepare licence", duration_days=3, checklist=["x", "y"])],
    )
    (change,) = diff.changed
    assert change.key == "a"
    assert change.changes == (
        FieldChange("title", "Prepare", "Prepare licence"),
        FieldChange("duration_days", 2, 3),
        FieldChange("checklist", ["x"], ["x", "y"]),
    )
    assert change.fields == ["title", "duration_days", "checklist"]
    assert diff.change_of("a") is change
    assert diff.change_of("b") is None


def test_tasks_are_matched_by_key_not_by_position():
    diff = diff_blueprints([bp("a"), bp("b")], [bp("b"), bp("a")])
    assert diff.is_empty


def test_the_order_of_dependencies_and_document_types_is_no_change():
    before = bp("c", depends_on=["a", "b"], document_types=["passport", "credit_card"])
    after = bp("c", depends_on=["b", "a"], document_types=["credit_card", "passport"])
    assert task_changes(before, after) == []


def test_the_order_of_a_checklist_is_a_change():
    assert task_changes(bp("a", checklist=["x", "y"]), bp("a", checklist=["y", "x"])) == [
        FieldChange("checklist", ["x", "y"], ["y", "x"])
    ]


def test_a_blank_role_or_stage_equals_none():
    assert task_changes(bp("a", role="", sets_stage=""), bp("a", role=None, sets_stage=None)) == []
    assert task_changes(bp("a", role=None), bp("a", role="manager")) == [
        FieldChange("role", None, "manager")
    ]


def test_added_and_changed_follow_the_new_order_removed_the_old_one():
    diff = diff_blueprints(
        [bp("r2"), bp("a", title="A"), bp("r1"), bp("b", title="B")],
        [bp("n2"), bp("b", title="B2"), bp("n1"), bp("a", title="A2")],
    )
    assert [t["key"] for t in diff.added] == ["n2", "n1"]
    assert [t["key"] for t in diff.removed] == ["r2", "r1"]
    assert [c.key for c in diff.changed] == ["b", "a"]


def test_a_duplicate_key_of_a_draft_counts_once():
    diff = diff_blueprints([bp("a")], [bp("a", title="first"), bp("a", title="second")])
    (change,) = diff.changed
    assert change.after["title"] == "first"


def test_the_diff_does_not_change_its_inputs():
    before, after = [bp("a", depends_on=["z"])], [bp("a", depends_on=["y"]), bp("b")]
    copies = ([dict(t) for t in before], [dict(t) for t in after])
    diff_blueprints(before, after)
    assert (before, after) == copies
