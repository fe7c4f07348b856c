"""The texts of notifications, rendered in the reader's language from language-neutral params.

An event's params (:func:`event_params`) are stored on each notification; :func:`render` turns
them into a title and one fact per line (project, task, due date …) in the active language, so
the inbox shows each person their own language and a later language switch applies to old
notifications too. Mail and chat call :func:`render` inside ``translation.override``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linkstar.compliance.services.common import kind_label
from linkstar.notifications.kinds import EventKind
from linkstar.projects.models import Stage

# The organization's own language: chat messages go to a group, not to one reader.
ORG_LANGUAGE = "zh-hans"


@dataclass
class Rendered:
    title: str
    lines: list[str] = field(default_factory=list)
    link: str = ""  # the page's path

    @property
    def url(self) -> str:
        return absolute(self.link)

    def as_text(self) -> str:
        """A plain-text mail body: the facts, then the link."""
        parts = [self.title, "", *self.lines]
        if self.link:
            parts += ["", self.url]
        return "\n".join(parts)


def absolute(path: str) -> str:
    return f"{settings.LINKSTAR_BASE_URL}{path}" if path else ""


def _date(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else (value or "")


def event_params(event, extra: dict | None = None) -> dict:
    """Everything the texts need, in no language: codes, names in both languages, dates."""
    project, task = event.project, event.task
    data = event.data or {}
    params: dict = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
    if project is not None:
        params.update(
            project_id=project.pk,
            project_code=project.code,
            store_name=project.store_name,
            stage=project.stage,
        )
    if task is not None:
        params.update(
            task_id=task.pk,
            task_title=task.title,
            task_title_en=task.title_en,
            due_date=_date(task.due_date),
        )
    if event.actor_id is not None and event.actor is not None:
        params["actor_name"] = event.actor.display_name
    params.update(extra or {})
    return params


def link_for(event, org_slug: str, params: dict) -> str:
    """The page a notification opens: the task, else the approval inbox, the document request,
    the document, the project, or the risk list."""
    kind = event.kind
    if params.get("request_id"):
        return reverse("docrequest_detail", args=[org_slug, params["request_id"]])
    if kind == EventKind.APPROVAL_REQUESTED:
        return reverse("approval_inbox", args=[org_slug])
    if params.get("task_id"):
        return reverse("task_detail", args=[org_slug, params["task_id"]])
    if kind == EventKind.DOCUMENT_EXPIRING and params.get("document_id"):
        return reverse("document_detail", args=[org_slug, params["document_id"]])
    if kind == EventKind.RISK_DETECTED:
        return reverse("risk_list", args=[org_slug])
    if params.get("project_id"):
        return reverse("project_detail", args=[org_slug, params["project_id"]])
    return reverse("notification_inbox", args=[org_slug])


def _stage(code: str) -> str:
    try:
        return str(Stage(code).label)
    except ValueError:
        return code or ""


def _identifier_kind(code: str) -> str:
    return kind_label(code)


def _task_title(p: dict) -> str:
    if (translation.get_language() or "").startswith("en") and p.get("task_title_en"):
        return p["task_title_en"]
    return p.get("task_title", "")


def _bilingual(p: dict, key: str) -> str:
    if (translation.get_language() or "").startswith("en") and p.get(f"{key}_en"):
        return p[f"{key}_en"]
    return p.get(key, "")


def _group_title(kind: str, p: dict) -> str | None:
    """A group chat's wording of the personal kinds ("assigned to you" reads wrong to a team:
    the @-mentions say who is meant); None for the kinds that read the same to everyone."""
    task = _task_title(p)
    if kind == EventKind.TASK_ASSIGNED:
        return _("Task assigned: %(task)s") % {"task": task}
    if kind == EventKind.APPROVAL_REQUESTED:
        return _("Approval requested: %(task)s") % {"task": task}
    if kind == EventKind.APPROVAL_DECIDED:
        if p.get("decision") == "reject":
            return _("Approval request rejected: %(task)s") % {"task": task}
        if p.get("status") == "approved":
            return _("Approval request approved: %(task)s") % {"task": task}
        return _("Level %(level)s of an approval request approved: %(task)s") % {
            "level": p.get("level", 1),
            "task": task,
        }
    if kind == EventKind.COMMENT_MENTION:
        return _("%(name)s commented on %(code)s") % {
            "name": p.get("actor_name") or "LinkStar",
            "code": p.get("project_code", ""),
        }
    if kind == EventKind.COMMENT_FOR_CLIENT:
        return _("%(name)s wrote to the client on %(code)s") % {
            "name": p.get("actor_name") or "LinkStar",
            "code": p.get("project_code", ""),
        }
    return None


def _task_due_soon_title(p: dict) -> str:
    task = _task_title(p)
    days = int(p.get("days_left", 0))
    if days <= 0:
        return _("Task due today: %(task)s") % {"task": task}
    if days == 1:  # 明天到期, not "in 1 day"
        return _("Task due tomorrow: %(task)s") % {"task": task}
    return ngettext(
        "Task due in %(days)d day: %(task)s", "Task due in %(days)d days: %(task)s", days
    ) % {"task": task, "days": days}


def _task_reopened_title(p: dict) -> str:
    task = _task_title(p)
    if p.get("how") == "returned":
        return _("Task returned for correction: %(task)s") % {"task": task}
    return _("Task reopened: %(task)s") % {"task": task}


def _approval_decided_title(p: dict) -> str:
    task = _task_title(p)
    if p.get("decision") == "reject":
        return _("Your approval request was rejected: %(task)s") % {"task": task}
    if p.get("status") == "approved":
        return _("Your approval request was approved: %(task)s") % {"task": task}
    return _("Level %(level)s of your approval request was approved: %(task)s") % {
        "level": p.get("level", 1),
        "task": task,
    }


def _document_expiring_title(p: dict) -> str:
    name = _bilingual(p, "document_name")
    if p.get("stage") == "expired":
        return _("Document expired: %(document)s") % {"document": name}
    days = int(p.get("days_left", 0))
    if days == 1:
        return _("Document expires tomorrow: %(document)s") % {"document": name}
    return ngettext(
        "Document expires in %(days)d day: %(document)s",
        "Document expires in %(days)d days: %(document)s",
        days,
    ) % {"document": name, "days": days}


def _request_reviewed_title(p: dict) -> str:
    name = _bilingual(p, "document_name")
    if p.get("decision") == "reject":
        return _("Document sent back: %(name)s") % {"name": name}
    return _("Document accepted: %(name)s") % {"name": name}


# The title of a notification to one reader, by event kind (from its params).
_TITLES: dict[str, Callable[[dict], str]] = {
    EventKind.TASK_ASSIGNED: lambda p: (
        _("Task assigned to you: %(task)s") % {"task": _task_title(p)}
    ),
    EventKind.TASK_DUE_SOON: _task_due_soon_title,
    EventKind.TASK_OVERDUE: lambda p: _("Task overdue: %(task)s") % {"task": _task_title(p)},
    EventKind.TASK_DONE: lambda p: _("Task done: %(task)s") % {"task": _task_title(p)},
    EventKind.TASK_REOPENED: _task_reopened_title,
    EventKind.APPROVAL_REQUESTED: lambda p: (
        _("Approval requested of you: %(task)s") % {"task": _task_title(p)}
    ),
    EventKind.APPROVAL_DECIDED: _approval_decided_title,
    EventKind.COMMENT_MENTION: lambda p: (
        _("%(name)s mentioned you in %(code)s")
        % {"name": p.get("actor_name") or "LinkStar", "code": p.get("project_code", "")}
    ),
    EventKind.COMMENT_FOR_CLIENT: lambda p: (
        _("New message from the agency on %(code)s") % {"code": p.get("project_code", "")}
    ),
    EventKind.COMMENT_FROM_CLIENT: lambda p: (
        _("Client %(name)s commented on %(code)s")
        % {"name": p.get("actor_name") or "", "code": p.get("project_code", "")}
    ),
    EventKind.PROJECT_STAGE_CHANGED: lambda p: (
        _("%(code)s is now %(stage)s")
        % {"code": p.get("project_code", ""), "stage": _stage(p.get("to", ""))}
    ),
    EventKind.PROJECT_CREATED: lambda p: (
        _("New project: %(code)s %(store)s")
        % {"code": p.get("project_code", ""), "store": p.get("store_name", "")}
    ),
    EventKind.PROJECT_CLOSED: lambda p: (
        _("Project closed: %(code)s") % {"code": p.get("project_code", "")}
    ),
    EventKind.PROJECT_STALLED: lambda p: (
        _("Project stalled: %(code)s") % {"code": p.get("project_code", "")}
    ),
    EventKind.PROJECT_REVIEW_LONG: lambda p: (
        _("Review taking longer than usual: %(code)s") % {"code": p.get("project_code", "")}
    ),
    EventKind.DOCUMENT_EXPIRING: _document_expiring_title,
    EventKind.RISK_DETECTED: lambda p: (
        _("New association risk: %(code)s") % {"code": p.get("project_code", "")}
    ),
    EventKind.MAIL_RECEIVED: lambda p: (
        _("Platform mail for %(code)s: %(subject)s")
        % {"code": p.get("project_code", ""), "subject": p.get("subject", "")}
    ),
    EventKind.MAIL_STAGE_PROPOSED: lambda p: (
        _("Platform mail proposes moving %(code)s to %(stage)s")
        % {
            "code": p.get("project_code", ""),
            "stage": _stage(p.get("proposed_stage") or p.get("to", "")),
        }
    ),
    EventKind.REQUEST_OPENED: lambda p: (
        _("%(code)s: %(count)s documents requested, due %(date)s")
        % {
            "code": p.get("project_code", ""),
            "count": p.get("count", ""),
            "date": p.get("due_date", ""),
        }
    ),
    EventKind.REQUEST_UPLOADED: lambda p: (
        _("%(code)s: the client uploaded %(name)s")
        % {"code": p.get("project_code", ""), "name": _bilingual(p, "document_name")}
    ),
    EventKind.REQUEST_REVIEWED: _request_reviewed_title,
    EventKind.REQUEST_DUE_SOON: lambda p: (
        _("%(code)s: requested documents due %(date)s")
        % {"code": p.get("project_code", ""), "date": p.get("due_date", "")}
    ),
    EventKind.REQUEST_OVERDUE: lambda p: (
        _("%(code)s: requested documents overdue since %(date)s")
        % {"code": p.get("project_code", ""), "date": p.get("due_date", "")}
    ),
}


def _title(kind: str, p: dict) -> str:
    title = _TITLES.get(kind)
    if title is not None:
        return title(p)
    return str(EventKind(kind).label) if kind in EventKind.values else kind


def _common_lines(p: dict) -> list[str]:
    """The project, task and due date, whatever the kind."""
    lines: list[str] = []
    if p.get("project_code"):
        lines.append(
            _("Project: %(code)s %(store)s")
            % {"code": p["project_code"], "store": p.get("store_name", "")}
        )
    if p.get("task_title"):
        lines.append(_("Task: %(task)s") % {"task": _task_title(p)})
    if p.get("due_date"):
        lines.append(_("Due date: %(date)s") % {"date": p["due_date"]})
    return lines


def _task_overdue_lines(p: dict) -> list[str]:
    if not p.get("days_late"):
        return []
    days = int(p["days_late"])
    return [ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", days) % {"days": days}]


def _task_assigned_lines(p: dict) -> list[str]:
    if not p.get("actor_name"):
        return []
    return [_("Assigned by: %(name)s") % {"name": p["actor_name"]}]


def _task_reopened_lines(p: dict) -> list[str]:
    lines = []
    if p.get("actor_name"):
        lines.append(_("By: %(name)s") % {"name": p["actor_name"]})
    if p.get("reason"):
        lines.append(_("Reason: %(text)s") % {"text": p["reason"]})
    return lines


def _approval_requested_lines(p: dict) -> list[str]:
    return [
        _("Level %(level)s of %(levels)s")
        % {"level": p.get("level", 1), "levels": p.get("levels", 1)}
    ]


def _approval_decided_lines(p: dict) -> list[str]:
    lines = []
    if p.get("actor_name"):
        lines.append(_("Decided by: %(name)s") % {"name": p["actor_name"]})
    if p.get("comment"):
        lines.append(_("Comment: %(text)s") % {"text": p["comment"]})
    return lines


def _comment_lines(p: dict) -> list[str]:
    return [f"“{p['excerpt']}”"] if p.get("excerpt") else []


def _project_stage_changed_lines(p: dict) -> list[str]:
    lines = [
        _("Stage: %(before)s → %(after)s")
        % {"before": _stage(p.get("from", "")), "after": _stage(p.get("to", ""))}
    ]
    if p.get("note"):
        lines.append(_("Note: %(text)s") % {"text": p["note"]})
    return lines


def _project_stalled_lines(p: dict) -> list[str]:
    return [
        _("No activity for %(days)s days (last on %(date)s).")
        % {"days": p.get("idle_days", ""), "date": p.get("last_activity", "")}
    ]


def _project_review_long_lines(p: dict) -> list[str]:
    return [
        _("Under review for %(days)s days; the site usually takes %(usual)s.")
        % {"days": p.get("review_age_days", ""), "usual": p.get("review_days", "")}
    ]


def _document_expiring_lines(p: dict) -> list[str]:
    lines = []
    if p.get("entity_name"):
        lines.append(_("Seller entity: %(name)s") % {"name": _bilingual(p, "entity_name")})
    if p.get("expiry_date"):
        lines.append(_("Expiry date: %(date)s") % {"date": p["expiry_date"]})
    return lines


def _risk_detected_lines(p: dict) -> list[str]:
    other = " ".join(x for x in (p.get("other_code", ""), p.get("other_store_name", "")) if x)
    return [
        _("Shares %(what)s (%(masked)s) with %(other)s")
        % {
            "what": _identifier_kind(p.get("kind", "")),
            "masked": p.get("masked", ""),
            "other": other,
        }
    ]


def _mail_received_lines(p: dict) -> list[str]:
    if not p.get("sender"):
        return []
    return [_("From: %(sender)s") % {"sender": p["sender"]}]


def _mail_stage_proposed_lines(p: dict) -> list[str]:
    lines = _mail_received_lines(p)
    if p.get("subject"):
        lines.append(_("Subject: %(subject)s") % {"subject": p["subject"]})
    return lines


def _request_opened_lines(p: dict) -> list[str]:
    lines = [_("Documents: %(names)s") % {"names": _bilingual(p, "documents")}]
    if p.get("actor_name"):
        lines.append(_("Asked by: %(name)s") % {"name": p["actor_name"]})
    return lines


def _request_document_lines(p: dict) -> list[str]:
    lines = []
    if p.get("document_name"):
        lines.append(_("Document: %(name)s") % {"name": _bilingual(p, "document_name")})
    if p.get("original_name"):
        lines.append(_("File: %(name)s") % {"name": p["original_name"]})
    if p.get("reason"):
        lines.append(_("Reason: %(text)s") % {"text": p["reason"]})
    return lines


# The facts a kind adds after the project, task and due date.
_KIND_LINES: dict[str, Callable[[dict], list[str]]] = {
    EventKind.TASK_OVERDUE: _task_overdue_lines,
    EventKind.TASK_ASSIGNED: _task_assigned_lines,
    EventKind.TASK_REOPENED: _task_reopened_lines,
    EventKind.APPROVAL_REQUESTED: _approval_requested_lines,
    EventKind.APPROVAL_DECIDED: _approval_decided_lines,
    EventKind.COMMENT_MENTION: _comment_lines,
    EventKind.COMMENT_FOR_CLIENT: _comment_lines,
    EventKind.COMMENT_FROM_CLIENT: _comment_lines,
    EventKind.PROJECT_STAGE_CHANGED: _project_stage_changed_lines,
    EventKind.PROJECT_STALLED: _project_stalled_lines,
    EventKind.PROJECT_REVIEW_LONG: _project_review_long_lines,
    EventKind.DOCUMENT_EXPIRING: _document_expiring_lines,
    EventKind.RISK_DETECTED: _risk_detected_lines,
    EventKind.MAIL_RECEIVED: _mail_received_lines,
    EventKind.MAIL_STAGE_PROPOSED: _mail_stage_proposed_lines,
    EventKind.REQUEST_OPENED: _request_opened_lines,
    EventKind.REQUEST_UPLOADED: _request_document_lines,
    EventKind.REQUEST_REVIEWED: _request_document_lines,
    EventKind.REQUEST_DUE_SOON: _request_opened_lines,
    EventKind.REQUEST_OVERDUE: _request_opened_lines,
}


def _lines(kind: str, p: dict) -> list[str]:
    kind_lines = _KIND_LINES.get(kind)
    return _common_lines(p) + (kind_lines(p) if kind_lines is not None else [])


# --- summaries of a batch ----------------------------------------------------------------------

_ITEM_KEYS = (
    "project_code",
    "store_name",
    "task_title",
    "task_title_en",
    "document_name",
    "document_name_en",
    "other_code",
)
_TASK_KINDS = {
    EventKind.TASK_ASSIGNED,
    EventKind.TASK_DUE_SOON,
    EventKind.TASK_OVERDUE,
    EventKind.TASK_DONE,
}


def summary_params(told: list[tuple], org_slug: str) -> tuple[dict, str]:
    """The params and link of one notification that stands for several events of one kind
    (a batch): how many, who did it, the first few items, and the list page they are on."""
    first_event, first = told[0]
    kind = first_event.kind
    shown = settings.LINKSTAR_NOTIFY_SUMMARY_ITEMS
    params: dict = {
        "batch_count": len(told),
        "batch_items": [
            {k: p[k] for k in _ITEM_KEYS if p.get(k) not in (None, "")} for _, p in told[:shown]
        ],
    }
    if first.get("actor_name"):
        params["actor_name"] = first["actor_name"]
    projects = {p.get("project_id") for _, p in told}
    if len(projects) == 1 and None not in projects:
        params["project_code"] = first.get("project_code", "")
        params["store_name"] = first.get("store_name", "")
    return params, summary_link(kind, org_slug, projects)


def summary_link(kind: str, org_slug: str, project_ids: set) -> str:
    if kind == EventKind.RISK_DETECTED:
        return reverse("risk_list", args=[org_slug])
    if kind == EventKind.APPROVAL_REQUESTED:
        return reverse("approval_inbox", args=[org_slug])
    if kind in _TASK_KINDS:
        return reverse("my_tasks", args=[org_slug])
    if len(project_ids) == 1 and None not in project_ids:
        return reverse("project_detail", args=[org_slug, next(iter(project_ids))])
    if kind == EventKind.PROJECT_CREATED or None not in project_ids:
        return reverse("project_list", args=[org_slug])
    return reverse("notification_inbox", args=[org_slug])


def _summary_title(kind: str, p: dict) -> str:
    n = int(p.get("batch_count", 0))
    name = p.get("actor_name") or "LinkStar"
    if kind == EventKind.PROJECT_CREATED:
        return ngettext(
            "%(count)d project created by %(name)s", "%(count)d projects created by %(name)s", n
        ) % {"count": n, "name": name}
    if kind == EventKind.RISK_DETECTED:
        return ngettext("%(count)d new association risk", "%(count)d new association risks", n) % {
            "count": n
        }
    if kind == EventKind.TASK_DUE_SOON:
        return ngettext("%(count)d task due soon", "%(count)d tasks due soon", n) % {"count": n}
    if kind == EventKind.TASK_OVERDUE:
        return ngettext("%(count)d task overdue", "%(count)d tasks overdue", n) % {"count": n}
    if kind == EventKind.TASK_ASSIGNED:
        return ngettext(
            "%(count)d task assigned by %(name)s", "%(count)d tasks assigned by %(name)s", n
        ) % {"count": n, "name": name}
    label = str(EventKind(kind).label) if kind in EventKind.values else kind
    return ngettext("%(what)s: %(count)d notice", "%(what)s: %(count)d notices", n) % {
        "what": label,
        "count": n,
    }


def _summary_lines(kind: str, p: dict) -> list[str]:
    lines = []
    for item in p.get("batch_items") or []:
        parts = [item.get("project_code", ""), item.get("store_name", "")]
        if item.get("task_title"):
            parts.append("· " + _task_title(item))
        elif item.get("document_name"):
            parts.append("· " + _bilingual(item, "document_name"))
        elif kind == EventKind.RISK_DETECTED and item.get("other_code"):
            parts.append("↔ " + item["other_code"])
        lines.append(" ".join(x for x in parts if x))
    more = int(p.get("batch_count", 0)) - len(lines)
    if more > 0:
        lines.append(
            ngettext("… and %(count)d more", "… and %(count)d more", more) % {"count": more}
        )
    return lines


def render(
    kind: str, params: dict, link: str = "", *, language: str | None = None, group: bool = False
) -> Rendered:
    """The title and facts of a notification, in ``language`` (default: the active one);
    ``group``: worded for a team's chat rather than for one reader. A summary of a batch
    (``batch_count`` in the params) lists its first items."""
    if language:
        with translation.override(language):
            return render(kind, params, link, group=group)
    if params.get("batch_count"):
        return Rendered(
            title=_summary_title(kind, params), lines=_summary_lines(kind, params), link=link
        )
    title = (_group_title(kind, params) if group else None) or _title(kind, params)
    return Rendered(title=title, lines=_lines(kind, params), link=link)
