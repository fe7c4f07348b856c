"""What changed between two versions of an SOP template: tasks added, removed and changed.

A pure function over blueprint dicts (the shape of ``models.blueprint_as_dict``), so that the
version diff page, the project upgrade and the tests all compare plans the same way. Tasks are
matched by their blueprint key, the one thing that stays stable across versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from linkstar.playbooks.models import BLUEPRINT_FIELDS

# The blueprint fields a diff compares, in the order a person reads them.
DIFF_FIELDS = tuple(f for f in BLUEPRINT_FIELDS if f != "key")
# Lists whose order carries no meaning: a reordering is not a change.
UNORDERED_FIELDS = frozenset({"depends_on", "document_types"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class TaskChange:
    key: str
    before: dict
    after: dict
    changes: tuple[FieldChange, ...]

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.changes]


@dataclass(frozen=True)
class VersionDiff:
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[TaskChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def change_of(self, key: str) -> TaskChange | None:
        return next((c for c in self.changed if c.key == key), None)


def _comparable(name: str, value):
    if value in (None, ""):
        return None  # a blank role or stage is the same as none
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
        return sorted(items) if name in UNORDERED_FIELDS else items
    return value


def task_changes(
    before: dict, after: dict, fields: Iterable[str] = DIFF_FIELDS
) -> list[FieldChange]:
    """The fields whose value differs between two blueprints of the same key."""
    return [
        FieldChange(name, before.get(name), after.get(name))
        for name in fields
        if _comparable(name, before.get(name)) != _comparable(name, after.get(name))
    ]


def _by_key(blueprints: Iterable[dict]) -> dict[str, dict]:
    """Blueprints by key; a draft may hold a key twice, the first one counts."""
    found: dict[str, dict] = {}
    for bp in blueprints:
        found.setdefault(bp.get("key") or "", bp)
    return found


def diff_blueprints(before: Iterable[dict], after: Iterable[dict]) -> VersionDiff:
    """Compare two plans by blueprint key. ``added`` and ``changed`` follow the order of the
    newer plan, ``removed`` the order of the older one."""
    old, new = _by_key(before), _by_key(after)
    added = [bp for key, bp in new.items() if key not in old]
    removed = [bp for key, bp in old.items() if key not in new]
    changed: list[TaskChange] = []
    unchanged: list[str] = []
    for key, bp in new.items():
        if key not in old:
            continue
        changes = task_changes(old[key], bp)
        if changes:
            changed.append(TaskChange(key=key, before=old[key], after=bp, changes=tuple(changes)))
        else:
            unchanged.append(key)
    return VersionDiff(added=added, removed=removed, changed=changed, unchanged=unchanged)
