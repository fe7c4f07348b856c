"""The reminder scan: scheduled events found by a few set-based queries per organization.

Each reminder is an event with a dedupe key; inserting it a second time (a later scan, another
worker scanning at the same moment) is refused by the unique key in the database, so a reminder
is made once. Keys:

- ``due_soon:<task>:<due date>:<lead>`` — an open task whose due date is within ``lead`` days
  (and past the next smaller lead: with leads 2 and 0, "2" fires 2 or 1 days before, "0" on the
  due day; a scan that missed a day still reminds);
- ``overdue:<task>:<today>`` — an open task past its due date, once a day until it is done;
- ``stalled:<project>:<last activity date>`` — an active project, not under review, with no
  audited change for the organization's ``stalled_days``; once per quiet spell;
- ``review_long:<project>:<stage_changed_at>`` — under review longer than its site's
  ``review_days``; once per review;
- ``doc_expiring:<document>:<30|7|expired>`` — a current vault document within 30 or 7 days of
  its expiry date, or expired;
- ``request_due:<request>:<due date>`` — an open document request due within
  ``REQUEST_LEAD_DAYS``, once; ``request_overdue:<request>:<today>`` — past its due date, every
  ``REQUEST_OVERDUE_EVERY`` days until it is complete or withdrawn.

Time is :func:`clock.now` and the organization's own date, so tests travel in time. The scan
runs every 15 minutes but looks at an organization only from its reminder time of day on
(``OrgNotificationSettings.reminder_time``, default ``LINKSTAR_REMINDER_TIME`` 09:00, in the
organization's time zone); the day's keys then keep it to once a day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery

from linkstar.accounts.models import Organization
from linkstar.audit.models import AuditEvent
from linkstar.catalog.models import Site
from linkstar.core import clock
from linkstar.core.actors import Actor
from linkstar.docrequests.models import DocumentRequest, RequestItem, RequestStatus
from linkstar.documents.models import Document
from linkstar.notifications import events
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import Event, OrgNotificationSettings
from linkstar.notifications.preferences import org_settings, org_settings_of, reminders_due
from linkstar.projects.models import ProjectStatus, Stage, StoreProject, Task

OPEN_TASK_STATUSES = ("todo", "in_progress")
# Stages in which work is expected of the team (under review waits for the platform, and has
# its own reminder; cancelled is over).
STALLABLE_STAGES = ("preparing", "needs_info", "opened", "rejected")
KEY_CHUNK = 500  # dedupe keys looked up per query
REQUEST_LEAD_DAYS = 2
REQUEST_OVERDUE_EVERY = 2  # days between reminders of an overdue document request


@dataclass
class Plan:
    """The reminders one scan of one organization offers, by kind."""

    organization: Organization
    items: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, kind: str, item: dict) -> None:
        self.items.setdefault(kind, []).append(item)

    def counts(self) -> Counter:
        return Counter({kind: len(items) for kind, items in self.items.items()})


def scan_reminders(*, force: bool = False) -> Counter:
    """Scan every organization whose reminder time of day (default 09:00, in its own time
    zone) has come — so that the day's reminders reach people at work, not in the first scan
    after midnight (``force``: every organization now). Idempotent; safe with several
    workers."""

    now = clock.now()
    rows = {r.organization_id: r for r in OrgNotificationSettings.objects.all()}
    total: Counter = Counter()
    for organization in Organization.objects.order_by("pk"):
        rules = org_settings_of(rows.get(organization.pk))
        if not force and not reminders_due(rules, now, organization.time_zone):
            continue
        total += scan_organization(organization)
    return total


def scan_organization(organization: Organization) -> Counter:
    plan = plan_reminders(organization)
    publish(plan)
    return plan.counts()


def publish(plan: Plan) -> int:
    """Insert the planned reminders whose key is new. Known keys are looked up first (index
    seeks on the unique key, so a repeated scan writes nothing); a key another worker inserted
    in between is still skipped by the unique constraint itself. Returns how many were new."""

    actor = Actor.system(plan.organization, via="scheduler")
    offered = 0
    with transaction.atomic():
        for kind, items in plan.items.items():
            keys = [item["dedupe_key"] for item in items]
            known: set[str] = set()
            for start in range(0, len(keys), KEY_CHUNK):
                known.update(
                    Event.objects.filter(
                        organization=plan.organization,
                        dedupe_key__in=keys[start : start + KEY_CHUNK],
                    ).values_list("dedupe_key", flat=True)
                )
            fresh = [item for item in items if item["dedupe_key"] not in known]
            offered += events.publish_once_many(kind, actor=actor, items=fresh, enqueue=False)
        if offered:
            org_id = plan.organization.pk
            transaction.on_commit(lambda: events.enqueue_pending(org_id))
    return offered


def plan_reminders(organization: Organization) -> Plan:
    plan = Plan(organization)
    now = clock.now()
    today = clock.org_today(organization)
    rules = org_settings(organization.pk)
    _due_soon(plan, today, rules.due_soon_days)
    _overdue(plan, today)
    _stalled(plan, now, rules.stalled_days)
    _review_long(plan, now)
    _documents(plan, today)
    _requests(plan, today)
    return plan


def _open_tasks(organization: Organization):
    return Task.objects.filter(
        organization=organization,
        status__in=OPEN_TASK_STATUSES,
        project__status=ProjectStatus.ACTIVE,
    )


def _windows(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """(lead, next smaller lead or -1): a reminder for ``lead`` fires while the days left are
    in ``(next, lead]``."""
    ordered = sorted({int(d) for d in days if int(d) >= 0}, reverse=True)
    return [(d, ordered[i + 1] if i + 1 < len(ordered) else -1) for i, d in enumerate(ordered)]


def _due_soon(plan: Plan, today: dt.date, leads: tuple[int, ...]) -> None:
    base = _open_tasks(plan.organization)
    for lead, below in _windows(leads):
        rows = base.filter(
            due_date__gt=today + dt.timedelta(days=below),
            due_date__lte=today + dt.timedelta(days=lead),
        ).values_list("pk", "project_id", "due_date")
        for pk, project_id, due in rows.iterator(chunk_size=2000):
            plan.add(
                EventKind.TASK_DUE_SOON,
                {
                    "project_id": project_id,
                    "task_id": pk,
                    "dedupe_key": f"due_soon:{pk}:{due.isoformat()}:{lead}",
                    "data": {"days_left": (due - today).days, "lead": lead},
                },
            )


def _overdue(plan: Plan, today: dt.date) -> None:
    rows = (
        _open_tasks(plan.organization)
        .filter(due_date__lt=today)
        .values_list("pk", "project_id", "due_date")
    )
    stamp = today.isoformat()
    for pk, project_id, due in rows.iterator(chunk_size=2000):
        plan.add(
            EventKind.TASK_OVERDUE,
            {
                "project_id": project_id,
                "task_id": pk,
                "dedupe_key": f"overdue:{pk}:{stamp}",
                "data": {"days_late": (today - due).days},
            },
        )


def _stalled(plan: Plan, now: dt.datetime, stalled_days: int) -> None:
    if stalled_days <= 0:
        return
    org = plan.organization
    cutoff = now - dt.timedelta(days=stalled_days)
    audit = AuditEvent.objects.filter(organization=org, project_id=OuterRef("pk"))
    rows = (
        StoreProject.objects.filter(
            organization=org,
            status=ProjectStatus.ACTIVE,
            stage__in=STALLABLE_STAGES,
            created_at__lte=cutoff,
        )
        .exclude(stage_changed_at__gt=cutoff)
        .filter(~Exists(audit.filter(at__gt=cutoff)))
        .annotate(last=Subquery(audit.order_by("-at").values("at")[:1]))
        .values_list("pk", "last", "created_at", "stage_changed_at")
    )
    tz = _tz(org)
    for pk, last, created, stage_changed in rows.iterator(chunk_size=2000):
        last = max(x for x in (last, created, stage_changed) if x is not None)
        day = last.astimezone(tz).date()
        plan.add(
            EventKind.PROJECT_STALLED,
            {
                "project_id": pk,
                "dedupe_key": f"stalled:{pk}:{day.isoformat()}",
                "data": {"idle_days": (now - last).days, "last_activity": day.isoformat()},
            },
        )


def _review_long(plan: Plan, now: dt.datetime) -> None:
    org = plan.organization
    base = StoreProject.objects.filter(
        organization=org,
        status=ProjectStatus.ACTIVE,
        stage=Stage.UNDER_REVIEW,
        stage_changed_at__isnull=False,
    )
    for days in sorted(set(Site.objects.values_list("review_days", flat=True))):
        usual = days or 7
        rows = base.filter(
            site__review_days=days, stage_changed_at__lte=now - dt.timedelta(days=usual)
        ).values_list("pk", "stage_changed_at")
        for pk, since in rows.iterator(chunk_size=2000):
            plan.add(
                EventKind.PROJECT_REVIEW_LONG,
                {
                    "project_id": pk,
                    "dedupe_key": f"review_long:{pk}:{since.isoformat()}",
                    "data": {"review_age_days": (now - since).days, "review_days": usual},
                },
            )


def _documents(plan: Plan, today: dt.date) -> None:
    windows = _windows(tuple(settings.LINKSTAR_DOCUMENT_REMINDER_DAYS))
    if not windows:
        return
    horizon = today + dt.timedelta(days=windows[0][0])
    rows = (
        Document.objects.filter(
            organization=plan.organization,
            is_current=True,
            expiry_date__isnull=False,
            expiry_date__lte=horizon,
        )
        .select_related("document_type", "entity")
        .only(
            "pk",
            "expiry_date",
            "person_name",
            "entity_id",
            "entity__name",
            "entity__name_en",
            "document_type__code",
            "document_type__name",
            "document_type__name_en",
        )
    )
    for doc in rows.iterator(chunk_size=2000):
        left = (doc.expiry_date - today).days
        if left < 0:
            stage = "expired"
        else:
            stage = next((str(lead) for lead, below in windows if below < left <= lead), None)
            if stage is None:
                continue
        person = f" ({doc.person_name})" if doc.person_name else ""
        plan.add(
            EventKind.DOCUMENT_EXPIRING,
            {
                "object_type": "document",
                "object_id": doc.pk,
                "dedupe_key": f"doc_expiring:{doc.pk}:{stage}",
                "data": {
                    "document_id": doc.pk,
                    "entity_id": doc.entity_id,
                    "entity_name": doc.entity.name,
                    "entity_name_en": doc.entity.name_en,
                    "document_type": doc.document_type.code,
                    "document_name": doc.document_type.name + person,
                    "document_name_en": (doc.document_type.name_en or doc.document_type.name)
                    + person,
                    "expiry_date": doc.expiry_date.isoformat(),
                    "days_left": left,
                    "stage": stage,
                },
            },
        )


def _tz(organization):
    return ZoneInfo(organization.time_zone or "Asia/Shanghai")


def _requests(plan: Plan, today: dt.date) -> None:
    """Open document requests due soon, and overdue ones (two queries)."""
    requests = list(
        DocumentRequest.objects.filter(
            organization=plan.organization,
            status=RequestStatus.OPEN,
            project__status=ProjectStatus.ACTIVE,
            due_date__lte=today + dt.timedelta(days=REQUEST_LEAD_DAYS),
        ).values("pk", "project_id", "due_date", "requested_by_id")
    )
    names: dict[int, tuple[list[str], list[str]]] = {}
    items = RequestItem.objects.filter(
        request_id__in=[r["pk"] for r in requests], status__in=("waiting", "rejected")
    ).values_list("request_id", "document_type__name", "document_type__name_en")
    for request_id, name, name_en in items:
        zh, en = names.setdefault(request_id, ([], []))
        zh.append(name)
        en.append(name_en or name)
    for r in requests:
        if r["pk"] not in names:
            continue  # everything asked for is uploaded: waiting on the team, not the client
        zh, en = names[r["pk"]]
        data = {
            "request_id": r["pk"],
            "requested_by": r["requested_by_id"],
            "due_date": r["due_date"].isoformat(),
            "count": len(zh),
            "documents": "、".join(zh),
            "documents_en": ", ".join(en),
        }
        late = (today - r["due_date"]).days
        if late <= 0:
            kind, key = EventKind.REQUEST_DUE_SOON, f"request_due:{r['pk']}:{r['due_date']}"
        elif late % REQUEST_OVERDUE_EVERY == 1 or REQUEST_OVERDUE_EVERY == 1:
            kind, key = EventKind.REQUEST_OVERDUE, f"request_overdue:{r['pk']}:{today}"
        else:
            continue
        plan.add(
            kind,
            {
                "project_id": r["project_id"],
                "object_type": "documentrequest",
                "object_id": r["pk"],
                "dedupe_key": key,
                "data": data,
            },
        )
