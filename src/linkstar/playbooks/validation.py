"""Checking task blueprints: field values when a draft is saved, the whole plan when published."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from linkstar.core.exceptions import FieldError

PHASES = ("documents", "registration", "review", "launch")
ROLES = ("admin", "manager", "operator", "reviewer", "auditor", "client")
STAGES = ("preparing", "under_review", "needs_info", "opened", "rejected", "cancelled")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TASKS = 200
MAX_DAYS = 3650  # ten years: keeps task dates computable and within the database column


def _name(index: int, bp: dict) -> str:
    key = bp.get("key") or ""
    return f"tasks[{index}]" + (f" ({key})" if key else "")


def field_errors(blueprints: list[dict], *, document_type_codes: Iterable[str]) -> list[FieldError]:
    """Errors a draft may not even be saved with: unknown codes, wrong kinds of values."""
    doc_codes = set(document_type_codes)
    errors: list[FieldError] = []
    if len(blueprints) > MAX_TASKS:
        errors.append(
            FieldError("tasks", _("A template has at most %(n)d tasks.") % {"n": MAX_TASKS})
        )
    for i, bp in enumerate(blueprints):
        where = _name(i, bp)
        key = bp.get("key") or ""
        if not KEY_RE.match(key):
            errors.append(
                FieldError(
                    f"{where}.key", _("A key is 1–64 lowercase letters, digits, '-' or '_'.")
                )
            )
        if not (bp.get("title") or "").strip():
            errors.append(FieldError(f"{where}.title", _("A task needs a title.")))
        for name in ("title", "title_en"):
            if len(bp.get(name) or "") > 200:
                errors.append(FieldError(f"{where}.{name}", _("At most 200 characters.")))
        for name in ("offset_days", "duration_days"):
            if abs(bp.get(name) or 0) > MAX_DAYS:
                errors.append(
                    FieldError(f"{where}.{name}", _("At most %(n)d days.") % {"n": MAX_DAYS})
                )
        if bp.get("phase") not in PHASES:
            errors.append(
                FieldError(
                    f"{where}.phase", _("Phase must be one of %(v)s.") % {"v": ", ".join(PHASES)}
                )
            )
        if bp.get("role") and bp["role"] not in ROLES:
            errors.append(
                FieldError(
                    f"{where}.role", _("Role must be one of %(v)s.") % {"v": ", ".join(ROLES)}
                )
            )
        if bp.get("sets_stage") and bp["sets_stage"] not in STAGES:
            errors.append(
                FieldError(
                    f"{where}.sets_stage",
                    _("Stage must be one of %(v)s.") % {"v": ", ".join(STAGES)},
                )
            )
        if bp.get("approval_levels", 0) not in (0, 1, 2):
            errors.append(
                FieldError(f"{where}.approval_levels", _("Approval levels are 0, 1 or 2."))
            )
        english = bp.get("checklist_en") or []
        if english and len(english) != len(bp.get("checklist") or []):
            errors.append(
                FieldError(
                    f"{where}.checklist_en",
                    _(
                        "The English checklist has %(en)d items and the checklist %(zh)d: give "
                        "each item in English, or none."
                    )
                    % {"en": len(english), "zh": len(bp.get("checklist") or [])},
                )
            )
        unknown = [c for c in bp.get("document_types") or [] if c not in doc_codes]
        if unknown:
            errors.append(
                FieldError(
                    f"{where}.document_types",
                    _("Unknown document types: %(v)s.") % {"v": ", ".join(unknown)},
                )
            )
    return errors


def plan_errors(blueprints: list[dict]) -> list[FieldError]:
    """Errors that block publishing: duplicate keys, unknown or cyclic dependencies, negatives."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, bp in enumerate(blueprints):
        where = _name(i, bp)
        key = bp.get("key")
        if key in seen:
            errors.append(
                FieldError(
                    f"{where}.key",
                    _("Duplicate key %(k)r (also tasks[%(j)d]).") % {"k": key, "j": seen[key]},
                )
            )
        else:
            seen[key] = i
        if (bp.get("offset_days") or 0) < 0:
            errors.append(
                FieldError(f"{where}.offset_days", _("The start offset cannot be negative."))
            )
        if (bp.get("duration_days") or 0) < 0:
            errors.append(
                FieldError(f"{where}.duration_days", _("The duration cannot be negative."))
            )
        for dep in bp.get("depends_on") or []:
            if dep == key:
                errors.append(
                    FieldError(f"{where}.depends_on", _("A task cannot depend on itself."))
                )
            elif dep not in {b.get("key") for b in blueprints}:
                errors.append(
                    FieldError(
                        f"{where}.depends_on", _("Unknown dependency key %(k)r.") % {"k": dep}
                    )
                )
    if not blueprints:
        errors.append(FieldError("tasks", _("A published template needs at least one task.")))
    if errors:
        return errors
    cycle = find_cycle({bp["key"]: list(bp.get("depends_on") or []) for bp in blueprints})
    if cycle:
        first = cycle[0]
        index = seen[first]
        errors.append(
            FieldError(
                f"{_name(index, blueprints[index])}.depends_on",
                _("Dependency cycle: %(c)s.") % {"c": " → ".join([*cycle, first])},
            )
        )
    return errors


def due_before_dependency(blueprints: list[dict]) -> list[FieldError]:
    """Tasks due before a task they depend on (offset + duration, in days): the shipped plans
    have none (a test holds them to it); an organization's own plan is not refused for it."""
    due = {
        bp["key"]: (bp.get("offset_days") or 0) + (bp.get("duration_days") or 0)
        for bp in blueprints
    }
    errors = []
    for i, bp in enumerate(blueprints):
        late = [dep for dep in bp.get("depends_on") or [] if due[dep] > due[bp["key"]]]
        if late:
            dep = max(late, key=due.get)
            errors.append(
                FieldError(
                    f"{_name(i, bp)}.offset_days",
                    _(
                        "Due on day %(a)d, before %(dep)r it depends on (due on day %(b)d): start "
                        "it later or make it longer."
                    )
                    % {"a": due[bp["key"]], "dep": dep, "b": due[dep]},
                )
            )
    return errors


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A list of keys forming a cycle, or None. Iterative DFS (plans may be long)."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    for root in graph:
        if color[root] != white:
            continue
        stack = [(root, iter(graph[root]))]
        path = [root]
        color[root] = grey
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in color:
                    continue
                if color[child] == grey:
                    return path[path.index(child) :]
                if color[child] == white:
                    color[child] = grey
                    path.append(child)
                    stack.append((child, iter(graph[child])))
                    break
            else:
                color[node] = black
                path.pop()
                stack.pop()
    return None
