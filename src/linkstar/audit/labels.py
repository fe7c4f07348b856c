"""Audit events as a person reads them: translated action names, object types, field names and
values, and the verification result in words. Unknown actions and fields are shown raw."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

ACTION_LABELS = {
    "organization.created": _("Organization created"),
    "member.added": _("Member added"),
    "member.role_changed": _("Member role changed"),
    "member.removed": _("Member removed"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
    "entity.created": _("Seller entity created"),
    "entity.updated": _("Seller entity updated"),
    "template.created": _("Template created"),
    "template.cloned": _("Template cloned"),
    "template.draft_saved": _("Template draft saved"),
    "template.published": _("Template version published"),
    "template.retired": _("Template version retired"),
    "template.version_created": _("New template draft version"),
    "project.created": _("Project created"),
    "project.updated": _("Project updated"),
    "project.stage_changed": _("Project stage changed"),
    "project.closed": _("Project closed"),
    "project.upgraded": _("Project upgraded to a new template version"),
    "task.updated": _("Task updated"),
    "task.skipped": _("Task skipped"),
    "task.reopened": _("Task reopened"),
    "project.restored": _("Cancelled project restored"),
    "task.returned": _("Task returned for correction"),
    "approval.requested": _("Approval requested"),
    "approval.approved": _("Approval approved"),
    "approval.rejected": _("Approval rejected"),
    "approval.withdrawn": _("Approval request withdrawn"),
    "comment.created": _("Comment added"),
    "person.created": _("Person added to a seller entity"),
    "person.updated": _("Person of a seller entity updated"),
    "person.deleted": _("Person removed from a seller entity"),
    "contact.created": _("Contact added"),
    "contact.updated": _("Contact updated"),
    "contact.deleted": _("Contact removed"),
    "account.created": _("Collection account added"),
    "account.updated": _("Collection account updated"),
    "account.deleted": _("Collection account removed"),
    "card.created": _("Card added"),
    "card.updated": _("Card updated"),
    "card.deleted": _("Card removed"),
    "address.created": _("Address added"),
    "address.updated": _("Address updated"),
    "address.deleted": _("Address removed"),
    "credential.created": _("Store credential added"),
    "credential.updated": _("Store credential updated"),
    "credential.rotated": _("Store credential rotated"),
    "credential.revoked": _("Store credential revoked"),
    "credential.deleted": _("Store credential deleted"),
    "secret.revealed": _("Sensitive value revealed"),
    "document.uploaded": _("Document uploaded"),
    "document.superseded": _("Document superseded by a new version"),
    "document.attached": _("Document attached to a task"),
    "document.detached": _("Document detached from a task"),
    "project.readiness_overridden": _("Readiness gate overridden"),
    "risk.acknowledged": _("Association risk acknowledged"),
    "project.environment_changed": _("Registration environment changed"),
    "calendar.changed": _("Working-day calendar changed"),
}

# Filter on every action of one kind of object ("project." matches project.*).
ACTION_GROUPS = {
    "organization.": _("Organization: all"),
    "member.": _("Members: all"),
    "token.": _("API tokens: all"),
    "entity.": _("Seller entities: all"),
    "template.": _("Templates: all"),
    "project.": _("Projects: all"),
    "task.": _("Tasks: all"),
    "approval.": _("Approvals: all"),
    "comment.": _("Comments: all"),
    "credential.": _("Store credentials: all"),
    "secret.": _("Reveals of sensitive values: all"),
    "document.": _("Documents: all"),
    "risk.": _("Association risks: all"),
    "calendar.": _("Working-day calendar: all"),
}

OBJECT_TYPE_LABELS = {
    "organization": pgettext_lazy("audit", "Organization"),
    "membership": pgettext_lazy("audit", "Membership"),
    "apitoken": pgettext_lazy("audit", "API token"),
    "sellerentity": pgettext_lazy("audit", "Seller entity"),
    "template": pgettext_lazy("audit", "Template"),
    "templateversion": pgettext_lazy("audit", "Template version"),
    "storeproject": pgettext_lazy("audit", "Project"),
    "task": pgettext_lazy("audit", "Task"),
    "approvalrequest": pgettext_lazy("audit", "Approval request"),
    "comment": pgettext_lazy("audit", "Comment"),
    "workcalendarsettings": pgettext_lazy("audit", "Working-day calendar"),
}

FIELD_LABELS = {
    "reset": _("Later tasks back to to-do"),
    "unticked": _("Completed with unticked items"),
    "missing_documents": _("Completed without the documents"),
    "confirm_reason": _("Why it was completed anyway"),
    "moved_with": _("Moved with"),
    "weekdays": pgettext_lazy("audit", "Working weekdays"),
    "use_cn_holidays": pgettext_lazy("audit", "China's public holidays"),
    "exceptions": pgettext_lazy("audit", "Own holidays and make-up working days"),
    "name": pgettext_lazy("audit", "Name"),
    "name_en": pgettext_lazy("audit", "Name in Latin letters"),
    "slug": pgettext_lazy("audit", "Slug"),
    "email": pgettext_lazy("audit", "Email"),
    "role": pgettext_lazy("audit", "Role"),
    "is_owner": pgettext_lazy("audit", "Owner"),
    "entity_id": pgettext_lazy("audit", "Seller entity"),
    "registration_number": pgettext_lazy("audit", "Registration number"),
    "country": pgettext_lazy("audit", "Country"),
    "legal_rep_name": pgettext_lazy("audit", "Legal representative"),
    "legal_rep_id_number": pgettext_lazy("audit", "ID number"),
    "notes": pgettext_lazy("audit", "Notes"),
    "prefix": pgettext_lazy("audit", "Token prefix"),
    "owner": pgettext_lazy("audit", "Token owner"),
    "expires_at": pgettext_lazy("audit", "Expires"),
    "revoked_at": pgettext_lazy("audit", "Revoked"),
    "code": pgettext_lazy("audit", "Code"),
    "store_name": pgettext_lazy("audit", "Store name"),
    "site": pgettext_lazy("audit", "Site"),
    "manager_id": pgettext_lazy("audit", "Manager"),
    "member_ids": pgettext_lazy("audit", "Team"),
    "assignees": pgettext_lazy("audit", "Assignees by role"),
    "template": pgettext_lazy("audit", "Template"),
    "template_version": pgettext_lazy("audit", "Template version"),
    "clone_from": pgettext_lazy("audit", "Cloned from"),
    "number": pgettext_lazy("audit", "Version"),
    "tasks": pgettext_lazy("audit", "Tasks"),
    "start_date": pgettext_lazy("audit", "Start date"),
    "due_date": pgettext_lazy("audit", "Due date"),
    "planned_finish": pgettext_lazy("audit", "Planned finish"),
    "stage": pgettext_lazy("audit", "Stage"),
    "status": pgettext_lazy("audit", "Status"),
    "note": pgettext_lazy("audit", "Note"),
    "by_task": pgettext_lazy("audit", "Set by task"),
    "reason": pgettext_lazy("audit", "Reason"),
    "assignee_id": pgettext_lazy("audit", "Assignee"),
    "task_id": pgettext_lazy("audit", "Task"),
    "levels": pgettext_lazy("audit", "Approval levels"),
    "level": pgettext_lazy("audit", "Level"),
    "decision": pgettext_lazy("audit", "Decision"),
    "comment": pgettext_lazy("audit", "Comment"),
    "body": pgettext_lazy("audit", "Text"),
    "mentions": pgettext_lazy("audit", "Mentioned"),
    "checklist": pgettext_lazy("audit", "Checklist"),
    "identifier": pgettext_lazy("audit", "Shared identifiers"),
    "other_project": pgettext_lazy("audit", "Linked project"),
    "registration_email": pgettext_lazy("audit", "Registration email"),
    "registration_phone": pgettext_lazy("audit", "Registration phone"),
    "ip_address": pgettext_lazy("audit", "IP address / proxy"),
    "device_profile": pgettext_lazy("audit", "Device or browser profile"),
}

# Fields holding ids, shown as names: which kind of object they point at.
REFERENCES = {
    "manager_id": "user",
    "assignee_id": "user",
    "member_ids": "user",
    "assignees": "user",
    "mentions": "user",
    "entity_id": "entity",
}
LONG_TEXT = 160


def _value_labels() -> dict[str, dict]:
    from linkstar.accounts.models import Role
    from linkstar.approvals.models import ApprovalStatus, Decision
    from linkstar.playbooks.models import Phase, VersionStatus
    from linkstar.projects.models import ProjectStatus, Stage, TaskStatus

    return {
        "stage": dict(Stage.choices),
        "role": dict(Role.choices),
        "status": {
            **dict(VersionStatus.choices),
            **dict(ApprovalStatus.choices),
            **dict(ProjectStatus.choices),
            **dict(TaskStatus.choices),
        },
        "decision": dict(Decision.choices),
        "phase": dict(Phase.choices),
    }


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))


@dataclass
class ChangeLine:
    field: str
    label: str
    before: str | None  # None: the field was set (not changed from a value)
    after: str | None  # None: the field was cleared or removed
    full: str = ""  # the untruncated text, for a tooltip


def _assignees_text(value: dict, values: dict, names: dict[str, dict[int, str]]) -> str:
    """``{"operator": {"user_id": 7, "tasks": 4}}`` (a new project's assignments by task role)
    → "Operator: Carol (4)"."""
    roles, known = values.get("role", {}), names.get("user", {})
    parts = []
    for role, given in sorted(value.items()):
        if not isinstance(given, dict):
            continue
        uid = given.get("user_id")
        who = pgettext("audit", "nobody") if uid is None else known.get(uid, f"#{uid}")
        parts.append(f"{roles.get(role, role)}: {who} ({given.get('tasks')})")
    return "; ".join(parts)


def _text(value: Any, field: str, values: dict, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(pgettext_lazy("audit", "yes") if value else pgettext_lazy("audit", "no"))
    if field == "assignees" and isinstance(value, dict):
        return _assignees_text(value, values, names)
    kind = REFERENCES.get(field)
    if kind is not None:
        known = names.get(kind, {})
        ids = value if isinstance(value, list) else [value]
        return ", ".join(known.get(v, f"#{v}") if isinstance(v, int) else str(v) for v in ids)
    if field == "template" and isinstance(value, list) and len(value) == 2:
        return f"#{value[0]} v{value[1]}"
    if isinstance(value, list):
        return ", ".join(_text(v, field, values, names) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value in values.get(field, {}):
        return str(values[field][value])
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


def _label(field: str) -> str:
    task_field = _task_field(field)
    if task_field is None:
        return str(FIELD_LABELS.get(field, field))
    key, base = task_field
    return pgettext("audit", "Task %(key)s: %(field)s") % {
        "key": key,
        "field": FIELD_LABELS.get(base, base),
    }


def change_lines(
    changes: dict, *, names: dict[str, dict[int, str]] | None = None
) -> list[ChangeLine]:
    """``{"field": {"before": x, "after": y}}`` as lines to show; values in words where known,
    ids of users and entities as their names when ``names`` has them."""
    names = names or {}
    values = _value_labels()
    lines = []
    for field, change in (changes or {}).items():
        if not isinstance(change, dict) or not {"before", "after"} & set(change):
            change = {"before": None, "after": change}
        before, after = change.get("before"), change.get("after")
        base = _base_field(field)
        before_text = None if before is None else _text(before, base, values, names)
        after_text = None if after is None else _text(after, base, values, names)
        full = after_text or before_text or ""
        if after_text and len(after_text) > LONG_TEXT:
            after_text = after_text[:LONG_TEXT] + "…"
        if before_text and len(before_text) > LONG_TEXT:
            before_text = before_text[:LONG_TEXT] + "…"
        lines.append(
            ChangeLine(
                field=field,
                label=_label(field),
                before=before_text,
                after=after_text,
                full=full if len(full) > LONG_TEXT else "",
            )
        )
    return lines


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
    return result.reason
