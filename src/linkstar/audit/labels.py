"""Audit events as a person reads them — the one place that turns them into text: action names,
object types, field names and values, a project history's sentences, the verification result.

Each app registers the words of its own events in its ``audit_labels.py`` (``register(...)``),
read once at start (``AuditConfig.ready``), so this module knows no domain: the audit log page,
a project's history and the archives all read events through here. Unknown actions and fields
are shown raw."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

ACTION_LABELS: dict[str, Any] = {}
# Filter on every action of one kind of object ("project." matches project.*).
ACTION_GROUPS: dict[str, Any] = {}
OBJECT_TYPE_LABELS: dict[str, Any] = {}
# field → label; "<object type>.<field>" for a field named differently on one kind of object.
FIELD_LABELS: dict[str, Any] = {}
# field → object type ("" for any) → stored value → label.
VALUE_LABELS: dict[str, dict[str, dict[str, Any]]] = {}
# Fields holding ids, shown as names: which kind of object they point at (user, entity).
REFERENCES: dict[str, str] = {}
# field → value → text, for values that read best in a sentence of their own (a checklist).
FORMATTERS: dict[str, Callable[[Any], str]] = {}
# action → what the actor did, as a project's history says it ("%(task)s", "%(level)s");
# a callable takes the event's changes and answers the sentence.
SENTENCES: dict[str, Any] = {}
# Shown in the sentence itself, or internal: not listed as changes in a project's history.
HIDDEN_FIELDS: set[str] = set()
# reference kind → ``lookup(actor, ids) -> {id: name}`` (one query), for the ids events name.
NAME_LOOKUPS: dict[str, Callable[[Any, set[int]], dict[int, str]]] = {}
# Action prefixes a client never reads in a project's history (what the agency does with a
# store's secrets, the upload links it hands out and their uses).
INTERNAL_ACTIONS: set[str] = set()
LONG_TEXT = 160


def register(
    *,
    actions: dict | None = None,
    groups: dict | None = None,
    object_types: dict | None = None,
    fields: dict | None = None,
    values: dict[str, Any] | None = None,
    references: dict[str, str] | None = None,
    formatters: dict | None = None,
    sentences: dict | None = None,
    hidden: set[str] | frozenset[str] = frozenset(),
    lookups: dict | None = None,
    internal: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Add an app's words. ``values``: field → choices (``TextChoices.choices``), or field →
    {object type: choices} when the same field means different things on different objects."""
    ACTION_LABELS.update(actions or {})
    ACTION_GROUPS.update(groups or {})
    OBJECT_TYPE_LABELS.update(object_types or {})
    FIELD_LABELS.update(fields or {})
    for field, choices in (values or {}).items():
        by_type = choices if isinstance(choices, dict) else {"": choices}
        for object_type, pairs in by_type.items():
            VALUE_LABELS.setdefault(field, {}).setdefault(object_type, {}).update(dict(pairs))
    REFERENCES.update(references or {})
    FORMATTERS.update(formatters or {})
    SENTENCES.update(sentences or {})
    HIDDEN_FIELDS.update(hidden)
    NAME_LOOKUPS.update(lookups or {})
    INTERNAL_ACTIONS.update(internal)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))


def field_label(field: str, object_type: str = "") -> str:
    task_field = _task_field(field)
    if task_field is not None:
        key, base = task_field
        return pgettext("audit", "Task %(key)s: %(field)s") % {
            "key": key,
            "field": field_label(base, "task"),
        }
    label = FIELD_LABELS.get(f"{object_type}.{field}") or FIELD_LABELS.get(field, field)
    return str(label)


def _choice(field: str, value: str, object_type: str) -> str | None:
    by_type = VALUE_LABELS.get(field)
    if not by_type:
        return None
    if object_type in by_type and value in by_type[object_type]:
        return str(by_type[object_type][value])
    for labels in by_type.values():
        if value in labels:
            return str(labels[value])
    return None


@dataclass
class ChangeLine:
    field: str
    label: str
    before: str | None  # None: the field was set (not changed from a value)
    after: str | None  # None: the field was cleared or removed
    full: str = ""  # the untruncated text, for a tooltip


def _assignees_text(value: dict, names: dict) -> str:
    """``{"operator": {"user_id": 7, "tasks": 4}}`` (a new project's assignments by task role)
    → "Operator: Carol (4)"."""
    known = names.get("user", {})
    parts = []
    for role, given in sorted(value.items()):
        role_name = _choice("role", role, "") or role
        if not isinstance(given, dict):
            parts.append(role_name)
            continue
        uid = given.get("user_id")
        who = pgettext("audit", "nobody") if uid is None else known.get(uid, f"#{uid}")
        parts.append(f"{role_name}: {who} ({given.get('tasks', 0)})")
    return "; ".join(parts)


def _known(field: str, value: Any, names: dict) -> str | None:
    """A value the page already knows by name (``names[field]``: raw value → text)."""
    known = names.get(field)
    if not known:
        return None
    lookup = tuple(value) if isinstance(value, list) else value
    with contextlib.suppress(TypeError):  # unhashable values are never in ``names``
        if lookup in known:
            return str(known[lookup])
    return None


def value_text(field: str, value: Any, *, object_type: str = "", names: dict | None = None) -> str:
    """One recorded value in words. ``names``: reference kind (user, entity) → {id: name}, and
    field → {raw value → text} for values the page knows (the project's site, its template)."""
    names = names or {}
    if value is None or value == "" or value == []:
        return "—"
    known = _known(field, value, names)
    if known is not None:
        return known
    if isinstance(value, bool):
        return str(pgettext_lazy("audit", "yes") if value else pgettext_lazy("audit", "no"))
    if field == "assignees" and isinstance(value, dict):
        return _assignees_text(value, names)
    kind = REFERENCES.get(field)
    if kind is not None:
        people = names.get(kind, {})
        ids = value if isinstance(value, list) else [value]
        return ", ".join(people.get(v, f"#{v}") if isinstance(v, int) else str(v) for v in ids)
    if field in FORMATTERS:
        return FORMATTERS[field](value)
    if isinstance(value, list):
        return ", ".join(value_text(field, v, object_type=object_type) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        label = _choice(field, value, object_type)
        if label is not None:
            return label
    return str(value)


def _task_field(field: str) -> tuple[str, str] | None:
    """``task:<key>:<field>`` (a task's field in a project-level entry, as an import writes
    them) → (key, field); None for an ordinary field."""
    parts = field.split(":")
    if len(parts) == 3 and parts[0] == "task":
        return parts[1], parts[2]
    return None


def _base_field(field: str) -> str:
    task_field = _task_field(field)
    return task_field[1] if task_field else field


def referenced_ids(changes_list, kind: str) -> set[int]:
    """The ids of one kind (user, entity) that the given changes name, to look up in one query."""
    fields = {field for field, k in REFERENCES.items() if k == kind}
    ids: set[int] = set()
    for changes in changes_list:
        for field in (f for f in (changes or {}) if _base_field(f) in fields):
            change = changes[field]
            for value in (
                (change.get("before"), change.get("after")) if isinstance(change, dict) else ()
            ):
                if isinstance(value, dict):  # assignees: {role: {"user_id": id, ...}}
                    value = [v.get("user_id") for v in value.values() if isinstance(v, dict)]
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, int) and not isinstance(v, bool):
                        ids.add(v)
    return ids


def names_in(actor, changes_list, *, known: dict | None = None) -> dict[str, dict[int, str]]:
    """The names of the users, entities… that the given changes refer to, one query per kind
    (none for a kind already ``known``), as ``value_text`` takes them."""
    names = dict(known or {})
    for kind, lookup in NAME_LOOKUPS.items():
        if kind in names:
            continue
        ids = referenced_ids(changes_list, kind)
        names[kind] = lookup(actor, ids) if ids else {}
    return names


def _shortened(text: str | None) -> str | None:
    if text and len(text) > LONG_TEXT:
        return text[:LONG_TEXT] + "…"
    return text


def change_lines(
    changes: dict, *, object_type: str = "", names: dict | None = None
) -> list[ChangeLine]:
    """``{"field": {"before": x, "after": y}}`` as lines to show; values in words where known,
    ids of users and entities as their names when ``names`` has them."""
    lines = []
    for field, change in (changes or {}).items():
        if not isinstance(change, dict) or not {"before", "after"} & set(change):
            change = {"before": None, "after": change}
        before, after = change.get("before"), change.get("after")
        base = _base_field(field)
        kind = "task" if base != field else object_type
        before_text = (
            None if before is None else value_text(base, before, object_type=kind, names=names)
        )
        after_text = (
            None if after is None else value_text(base, after, object_type=kind, names=names)
        )
        full = after_text or before_text or ""
        lines.append(
            ChangeLine(
                field=field,
                label=field_label(field, object_type),
                before=_shortened(before_text),
                after=_shortened(after_text),
                full=full if len(full) > LONG_TEXT else "",
            )
        )
    return lines


def sentence(action: str, changes: dict, *, task: str, level: Any = None) -> str:
    """What the actor did, as a project's history says it; the action's name otherwise."""
    said = SENTENCES.get(action)
    if callable(said):
        said = said(changes)
    if said is None:
        return ""
    return str(said) % {"task": task, "level": level}


def history_changes(
    changes: dict, *, object_type: str, update: bool, names: dict | None = None
) -> list[dict]:
    """The changed fields of one event of a project's history: ``field`` (its label), ``before``
    and ``after`` in words. An empty "before" is shown only for an ``update`` ("— → Carol"); in
    the other events (created, requested, decided) it just means "new"."""
    details = []
    for key, change in (changes or {}).items():
        if key in HIDDEN_FIELDS or not isinstance(change, dict):
            continue
        before, after = change.get("before"), change.get("after")
        if before == after:
            continue
        details.append(
            {
                "field": field_label(key, object_type),
                "before": (
                    None
                    if before is None and not update
                    else value_text(key, before, object_type=object_type, names=names)
                ),
                "after": value_text(key, after, object_type=object_type, names=names),
            }
        )
    return details


def verify_reason(result) -> str:
    """The verification result in the reader's language."""
    if result.ok:
        return ""
    seq = result.first_bad_seq
    if result.kind == "missing":
        return str(
            _("Event #%(expected)s is missing before event #%(seq)s.")
            % {"expected": result.checked, "seq": seq}
        )
    if result.kind == "out_of_order":
        return str(
            _("Event #%(seq)s does not follow its predecessor: events were removed or reordered.")
            % {"seq": seq}
        )
    if result.kind == "altered":
        return str(_("Event #%(seq)s was altered after it was written.") % {"seq": seq})
    if result.kind == "truncated":
        return str(_("The newest events after #%(seq)s were removed.") % {"seq": (seq or 1) - 1})
    cp = result.checkpoint
    if result.kind == "unkeyed":
        return str(
            _(
                "Event #%(seq)s carries a plain hash where the keyed hash is due: it was "
                "rewritten by someone without the audit key."
            )
            % {"seq": seq}
        )
    if result.kind == "unknown_key":
        return str(
            _(
                "The chain or its checkpoints were signed with an audit key that is not "
                "configured, so they cannot be checked. Configure the former audit key in "
                "LINKSTAR_AUDIT_OLD_KEYS."
            )
        )
    if result.kind == "rewritten":
        return str(
            _(
                "Event #%(seq)s is not the one a signed checkpoint recorded: the chain was "
                "rewritten."
            )
            % {"seq": seq}
        )
    if result.kind == "rewound" and cp is not None:
        return str(
            _(
                "The chain ends at event #%(head)s, but a signed checkpoint of %(at)s records "
                "#%(seq)s: the newest events were removed and the chain head rewound."
            )
            % {"head": result.head_seq, "at": cp.at, "seq": cp.seq}
        )
    if result.kind == "deleted" and cp is not None:
        return str(
            _(
                "The organization's audit chain is gone, but a signed checkpoint of %(at)s "
                "records %(seq)s events."
            )
            % {"at": cp.at, "seq": cp.seq}
        )
    if result.kind == "checkpoint_forged":
        return str(
            _("A line of the checkpoint file was forged or altered: its signature does not match.")
        )
    return result.reason


def verify_statements(result) -> dict[str, list[str]]:
    """What a passing verification proves and what it cannot, in the reader's language."""
    cp = result.checkpoint
    proves = {
        "chain_intact": _(
            "Every event follows the one before it and its hash matches its content."
        ),
        "keyed": _(
            "The events carry a hash keyed with the audit key, which is kept outside the "
            "database: changing them needs that key."
        ),
        "matches_checkpoint": (
            _(
                "The events up to #%(seq)s are exactly those of the signed checkpoint of "
                "%(at)s, kept outside the database."
            )
            % {"seq": cp.seq, "at": cp.at}
            if cp
            else ""
        ),
    }
    limits = {
        "no_checkpoint": _(
            "There is no signed checkpoint yet: removing the newest events together with the "
            "chain head, or the whole chain, would not be noticed."
        ),
        "after_checkpoint": (
            _(
                "The events after #%(seq)s (the last checkpoint) could be removed back to it "
                "without being noticed."
            )
            % {"seq": cp.seq}
            if cp
            else ""
        ),
        "unkeyed": _(
            "%(n)s events written before the keyed hash carry a plain hash that anyone can "
            "recompute, and no checkpoint covers them yet."
        )
        % {"n": result.unkeyed},
        "key_holder": _(
            "Someone holding the audit key and write access to both the database and the "
            "checkpoint file could still rewrite everything."
        ),
    }
    return {
        "proves": [str(proves[c]) for c in result.proves if proves.get(c)],
        "cannot_prove": [str(limits[c]) for c in result.cannot_prove if limits.get(c)],
    }
