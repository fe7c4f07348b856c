"""The blueprint checks: field errors block saving a draft, plan errors block publishing."""

from __future__ import annotations

import pytest

from linkstar.playbooks.validation import (
    MAX_TASKS,
    due_before_dependency,
    field_errors,
    find_cycle,
    plan_errors,
)

pytestmark = pytest.mark.usefixtures("english_messages")

DOC_CODES = ["business_license", "passport", "credit_card"]


def _fields(errors) -> list[str]:
    return [e.field for e in errors]


def _check_fields(tasks):
    return field_errors(tasks, document_type_codes=DOC_CODES)


# --- field_errors ---------------------------------------------------------------------------


def test_valid_blueprints_have_no_field_errors(three_tasks):
    assert _check_fields(three_tasks) == []


def test_an_unknown_phase_is_a_field_error_naming_the_task(blueprint):
    errors = _check_fields([blueprint("a"), blueprint("b", phase="shipping")])
    assert _fields(errors) == ["tasks[1] (b).phase"]
    assert "documents" in errors[0].message


def test_a_missing_phase_is_a_field_error(blueprint):
    assert _fields(_check_fields([blueprint("a", phase=None)])) == ["tasks[0] (a).phase"]


def test_an_unknown_role_is_a_field_error(blueprint):
    errors = _check_fields([blueprint("a", role="janitor")])
    assert _fields(errors) == ["tasks[0] (a).role"]


@pytest.mark.parametrize("role", ["admin", "manager", "operator", "reviewer", "auditor", "client"])
def test_every_role_code_is_accepted(blueprint, role):
    assert _check_fields([blueprint("a", role=role)]) == []


def test_no_role_is_accepted(blueprint):
    assert _check_fields([blueprint("a", role=None), blueprint("b", role="")]) == []


def test_an_unknown_stage_is_a_field_error(blueprint):
    errors = _check_fields([blueprint("a", sets_stage="launched")])
    assert _fields(errors) == ["tasks[0] (a).sets_stage"]


@pytest.mark.parametrize(
    "stage", ["preparing", "under_review", "needs_info", "opened", "rejected", "cancelled"]
)
def test_every_stage_code_is_accepted(blueprint, stage):
    assert _check_fields([blueprint("a", sets_stage=stage)]) == []


def test_an_unknown_document_type_is_a_field_error_naming_the_code(blueprint):
    errors = _check_fields([blueprint("a", document_types=["passport", "selfie"])])
    assert _fields(errors) == ["tasks[0] (a).document_types"]
    assert "selfie" in errors[0].message
    assert "passport" not in errors[0].message


@pytest.mark.parametrize("levels", [-1, 3, 10, None])
def test_approval_levels_outside_zero_to_two_are_a_field_error(blueprint, levels):
    errors = _check_fields([blueprint("a", approval_levels=levels)])
    assert _fields(errors) == ["tasks[0] (a).approval_levels"]


@pytest.mark.parametrize("levels", [0, 1, 2])
def test_approval_levels_zero_one_and_two_are_accepted(blueprint, levels):
    assert _check_fields([blueprint("a", approval_levels=levels)]) == []


@pytest.mark.parametrize("key", ["", "Upper", "has space", "-leading-dash", "x" * 65, "中文"])
def test_a_malformed_key_is_a_field_error(blueprint, key):
    errors = _check_fields([blueprint(key)])
    assert len(errors) == 1
    assert errors[0].field.startswith("tasks[0]")
    assert errors[0].field.endswith(".key")


def test_a_blank_title_is_a_field_error(blueprint):
    assert _fields(_check_fields([blueprint("a", title="  ")])) == ["tasks[0] (a).title"]


def test_more_than_the_maximum_number_of_tasks_is_a_field_error(blueprint):
    tasks = [blueprint(f"t{i}") for i in range(MAX_TASKS + 1)]
    assert _fields(_check_fields(tasks)) == ["tasks"]


def test_every_bad_field_is_reported_not_only_the_first(blueprint):
    errors = _check_fields(
        [blueprint("a", phase="x", role="y"), blueprint("b", sets_stage="z", approval_levels=5)]
    )
    assert _fields(errors) == [
        "tasks[0] (a).phase",
        "tasks[0] (a).role",
        "tasks[1] (b).sets_stage",
        "tasks[1] (b).approval_levels",
    ]


def test_field_errors_ignore_the_plan_so_a_draft_can_hold_work_in_progress(blueprint):
    tasks = [blueprint("a", depends_on=["b", "ghost"]), blueprint("b", depends_on=["a"])]
    tasks.append(blueprint("a", offset_days=-1))
    assert _check_fields(tasks) == []


# --- plan_errors ----------------------------------------------------------------------------


def test_a_valid_plan_has_no_plan_errors(three_tasks):
    assert plan_errors(three_tasks) == []


def test_an_unknown_dependency_key_is_a_plan_error_naming_the_task_and_the_key(blueprint):
    errors = plan_errors([blueprint("a"), blueprint("b", depends_on=["a", "ghost"])])
    assert _fields(errors) == ["tasks[1] (b).depends_on"]
    assert "ghost" in errors[0].message


def test_a_dependency_cycle_is_a_plan_error_naming_every_task_of_the_cycle(blueprint):
    # a → b → c → a, with an innocent task in front.
    tasks = [
        blueprint("start"),
        blueprint("a", depends_on=["start", "c"]),
        blueprint("b", depends_on=["a"]),
        blueprint("c", depends_on=["b"]),
    ]
    errors = plan_errors(tasks)
    assert len(errors) == 1
    assert errors[0].field.endswith(".depends_on")
    assert errors[0].field.split(" ")[0] in {"tasks[1]", "tasks[2]", "tasks[3]"}
    message = errors[0].message
    assert "cycle" in message.lower()
    for key in ("a", "b", "c"):
        assert f"{key} →" in message or f"→ {key}" in message
    assert "start" not in message


def test_a_self_dependency_is_a_plan_error(blueprint):
    errors = plan_errors([blueprint("a", depends_on=["a"])])
    assert _fields(errors) == ["tasks[0] (a).depends_on"]
    assert "itself" in errors[0].message


def test_duplicate_keys_are_a_plan_error_naming_both_positions(blueprint):
    errors = plan_errors([blueprint("a"), blueprint("b"), blueprint("a")])
    assert _fields(errors) == ["tasks[2] (a).key"]
    assert "tasks[0]" in errors[0].message


def test_a_negative_offset_is_a_plan_error(blueprint):
    errors = plan_errors([blueprint("a", offset_days=-2)])
    assert _fields(errors) == ["tasks[0] (a).offset_days"]


def test_a_negative_duration_is_a_plan_error(blueprint):
    errors = plan_errors([blueprint("a", duration_days=-1)])
    assert _fields(errors) == ["tasks[0] (a).duration_days"]


def test_a_zero_duration_milestone_is_allowed(blueprint):
    assert plan_errors([blueprint("a", duration_days=0)]) == []


def test_an_empty_plan_cannot_be_published():
    assert _fields(plan_errors([])) == ["tasks"]


def test_every_plan_error_is_reported_not_only_the_first(blueprint):
    errors = plan_errors(
        [
            blueprint("a", offset_days=-1),
            blueprint("b", depends_on=["nope"], duration_days=-1),
            blueprint("a"),
        ]
    )
    assert _fields(errors) == [
        "tasks[0] (a).offset_days",
        "tasks[1] (b).duration_days",
        "tasks[1] (b).depends_on",
        "tasks[2] (a).key",
    ]


# --- find_cycle -----------------------------------------------------------------------------


def test_find_cycle_answers_none_for_an_acyclic_graph():
    assert find_cycle({"a": [], "b": ["a"], "c": ["a", "b"], "d": ["c", "b"]}) is None


def test_find_cycle_answers_none_for_an_empty_graph():
    assert find_cycle({}) is None


def test_find_cycle_returns_the_keys_of_a_three_cycle_in_order():
    cycle = find_cycle({"a": ["c"], "b": ["a"], "c": ["b"]})
    assert cycle is not None
    assert sorted(cycle) == ["a", "b", "c"]
    # Each key's successor in the list is one of its edges, closing back to the start.
    graph = {"a": ["c"], "b": ["a"], "c": ["b"]}
    for here, there in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        assert there in graph[here]


def test_find_cycle_finds_a_self_loop():
    assert find_cycle({"a": ["a"]}) == ["a"]


def test_find_cycle_leaves_out_the_tasks_leading_into_the_cycle():
    cycle = find_cycle({"root": ["x"], "x": ["y"], "y": ["x"]})
    assert sorted(cycle) == ["x", "y"]


def test_find_cycle_ignores_edges_to_unknown_keys():
    assert find_cycle({"a": ["ghost"], "b": ["a"]}) is None


def test_find_cycle_handles_a_long_chain_without_recursion():
    n = 5000
    chain = {f"t{i}": [f"t{i + 1}"] for i in range(n)}
    chain[f"t{n}"] = []
    assert find_cycle(chain) is None
    chain[f"t{n}"] = ["t0"]
    assert len(find_cycle(chain)) == n + 1


def test_a_task_due_before_a_task_it_depends_on_is_found(blueprint):
    plan = [
        blueprint("collect", offset_days=0, duration_days=5),
        blueprint("check", depends_on=["collect"], offset_days=1, duration_days=2),
    ]
    errors = due_before_dependency(plan)
    assert [e.field for e in errors] == ["tasks[1] (check).offset_days"]
    assert "'collect'" in str(errors[0].message)
    plan[1]["offset_days"] = 3
    assert due_before_dependency(plan) == []
