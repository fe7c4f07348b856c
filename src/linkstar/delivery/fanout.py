"""Turning an event into notifications for people and deliveries for channels.

Who is told (never anyone outside the organization; a client only about its own entity's
projects; an operator only about projects it is on; never the person who did it):

- task assigned → the assignee; due soon / overdue → the assignee, else the project's manager;
- approval requested → whoever may decide that level now (reviewers, admins, the project's
  manager; not the requester, not the deciders of earlier levels); approval decided → the
  requester; @mention → the mentioned;
- a comment shared with the client → the clients of the project's entity; a client's comment →
  the project's manager and team (the mentioned among them hear of it by their mention only);
- stage changed, project closed → the manager and the team; project created, task done,
  stalled, review too long, platform mail → the manager (the admins when there is none);
- document expiring or expired → the managers of the entity's active projects and the admins;
- association risk → the managers of both projects;
- documents requested of a client, an upload reviewed, a request due soon → the clients of the
  project's entity (overdue: and the requester); a client's upload → the requester and the
  project's manager.

Each recipient gets an in-app notification and, by their preferences, a mail (now, after their
quiet hours, or in the daily digest); the event gets one chat message per channel (which
@-mentions the recipients who want that) and the integration webhooks.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation

from linkstar.accounts.models import Membership, Role
from linkstar.accounts.selectors import entity_clients
from linkstar.approvals.models import ApprovalRequest
from linkstar.approvals.rules import may_decide
from linkstar.core import clock
from linkstar.core.actors import Actor
from linkstar.delivery import messages, outbox
from linkstar.documents.selectors import visible_documents
from linkstar.notifications.kinds import EventKind
from linkstar.notifications.models import EmailState, Event, Notification
from linkstar.notifications.preferences import coalesces, org_settings, prefs_for, quiet_until
from linkstar.projects import visibility
from linkstar.projects.models import ProjectStatus, StoreProject

K = EventKind
MANAGER_KINDS = {
    K.PROJECT_CREATED,
    K.TASK_DONE,
    K.PROJECT_STALLED,
    K.PROJECT_REVIEW_LONG,
    K.MAIL_RECEIVED,
    K.MAIL_STAGE_PROPOSED,
}
TEAM_KINDS = {K.PROJECT_STAGE_CHANGED, K.PROJECT_CLOSED}


def process_event(event_id: int) -> list[Notification]:
    """Fan out one event (idempotent: an event already processed is left alone; two workers
    on the same event make its notifications once — the claim is an UPDATE that only one of
    them wins, and (event, recipient) is unique). An event of a batch (``publish_many``) claims
    and fans out its whole batch, so that each person is told once about it."""
    with transaction.atomic():
        head = Event.objects.filter(pk=event_id).values("batch_key", "organization_id").first()
        if head is None:
            return []
        if head["batch_key"]:
            return _process_batch(head["organization_id"], head["batch_key"])
        claimed = Event.objects.filter(pk=event_id, processed_at__isnull=True).update(
            processed_at=clock.now()
        )
        if not claimed:
            return []
        event = Event.objects.select_related(
            "organization", "actor", "project", "project__site", "task"
        ).get(pk=event_id)
        return fan_out(event)


def _process_batch(organization_id: int, batch_key: str) -> list[Notification]:
    pending = Event.objects.filter(
        organization_id=organization_id, batch_key=batch_key, processed_at__isnull=True
    )
    if connection.features.has_select_for_update:
        # A second worker on the same batch waits here, then finds nothing left to claim.
        pending = pending.select_for_update()
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return []
    Event.objects.filter(pk__in=ids).update(processed_at=clock.now())
    batch = list(
        Event.objects.select_related("organization", "actor", "project", "project__site", "task")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(batch) == 1:
        return fan_out(batch[0])
    return fan_out_batch(batch)


def _tell(
    *, user, event: Event, params: dict, link: str, choice, now, project_id, task_id, rules
) -> Notification:
    """One person's notification (and mail, by their preferences) about ``event`` (the anchor
    of a summary) with ``params`` already made."""

    organization = event.organization
    state = EmailState.NONE
    if choice.wants_email(event.kind) and user.email:
        if choice.digest:
            state = EmailState.DIGEST
        else:
            state = EmailState.QUEUED
            with translation.override(user.language or messages.ORG_LANGUAGE):
                text = messages.render(event.kind, params, link)
                outbox.queue_email(
                    user=user,
                    subject=text.title,
                    body=text.as_text(),
                    organization=organization,
                    event=event,
                    not_before=quiet_until(choice, now, organization.time_zone),
                    coalesce=coalesces(choice, rules),
                )
    return Notification(
        organization=organization,
        recipient=user,
        event=event,
        kind=event.kind,
        project_id=project_id,
        task_id=task_id,
        params=params,
        link=link,
        created_at=event.created_at,
        email_state=state,
    )


def fan_out(event: Event) -> list[Notification]:
    organization = event.organization
    recipients = recipients_of(event)
    params = messages.event_params(event, _extra_params(event))
    link = messages.link_for(event, organization.slug, params)
    prefs = prefs_for(organization.pk, [u.pk for u in recipients])
    rules = org_settings(organization.pk) if recipients else None
    now = clock.now()
    notifications = [
        _tell(
            user=user,
            event=event,
            params=params,
            link=link,
            choice=prefs[user.pk],
            now=now,
            project_id=event.project_id,
            task_id=event.task_id,
            rules=rules,
        )
        for user in recipients
    ]
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    text = messages.render(event.kind, params, link, language=messages.ORG_LANGUAGE, group=True)
    outbox.queue_chat(
        event=event,
        message=outbox.Message(
            title=text.title,
            lines=text.lines,
            url=text.url,
            mention_user_ids=[
                u.pk for u in recipients if _may_ping(prefs[u.pk], event.kind, now, organization)
            ],
        ),
    )
    outbox.queue_webhooks(event=event)
    return notifications


def fan_out_batch(batch: list[Event]) -> list[Notification]:
    """Fan out the events of one batch: each person is told once (one notification, one mail)
    with a summary of the events meant for them — or the event itself when only one is — and
    each chat channel gets one message for the events it takes. Integration webhooks stay one
    per event: an ERP keeps its records per project and reads the versioned event payload."""

    anchor = batch[0]
    organization = anchor.organization
    per_user: dict[int, list[tuple[Event, dict, str]]] = {}
    users: dict[int, object] = {}
    rendered: dict[int, tuple[dict, str]] = {}
    for event in batch:
        params = messages.event_params(event, _extra_params(event))
        link = messages.link_for(event, organization.slug, params)
        rendered[event.pk] = (params, link)
        for user in recipients_of(event):
            users[user.pk] = user
            per_user.setdefault(user.pk, []).append((event, params, link))
    prefs = prefs_for(organization.pk, list(users))
    rules = org_settings(organization.pk) if users else None
    now = clock.now()
    notifications = []
    for user_id, told in per_user.items():
        if len(told) == 1:
            event, params, link = told[0]
            project_id, task_id = event.project_id, event.task_id
        else:
            event = told[0][0]
            params, link = messages.summary_params([(e, p) for e, p, _ in told], organization.slug)
            project_ids = {e.project_id for e, _, _ in told}
            project_id = project_ids.pop() if len(project_ids) == 1 else None
            task_id = None
        notifications.append(
            _tell(
                user=users[user_id],
                event=event,
                params=params,
                link=link,
                choice=prefs[user_id],
                now=now,
                project_id=project_id,
                task_id=task_id,
                rules=rules,
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)

    def chat_message(events: list[Event]) -> outbox.Message:
        if len(events) == 1:
            params, link = rendered[events[0].pk]
        else:
            params, link = messages.summary_params(
                [(e, rendered[e.pk][0]) for e in events], organization.slug
            )
        text = messages.render(
            anchor.kind, params, link, language=messages.ORG_LANGUAGE, group=True
        )
        wanted = {e.pk for e in events}
        mentioned = [
            uid
            for uid, told in per_user.items()
            if _may_ping(prefs[uid], anchor.kind, now, organization)
            and any(e.pk in wanted for e, _, _ in told)
        ]
        return outbox.Message(
            title=text.title, lines=text.lines, url=text.url, mention_user_ids=mentioned
        )

    outbox.queue_chat_batch(events=batch, message_for=chat_message)
    for event in batch:
        outbox.queue_webhooks(event=event)
    return notifications


def _may_ping(choice, kind: str, now, organization) -> bool:
    """Whether a chat message @-mentions this person: they want it for this kind, and it is not
    in their quiet hours (the group still sees the message; only the ping is left out)."""
    return choice.wants_chat(kind) and quiet_until(choice, now, organization.time_zone) is None


# --- who ----------------------------------------------------------------------------------------


def recipients_of(event: Event) -> list:
    """The users to tell, members of the event's organization who may see what it is about."""
    wanted = _candidates(event)
    wanted.discard(None)
    wanted.discard(event.actor_id)
    if not wanted:
        return []
    memberships = (
        Membership.objects.filter(
            organization_id=event.organization_id, user_id__in=wanted, user__is_active=True
        )
        .select_related("user", "organization")
        .order_by("user_id")
    )
    return [m.user for m in memberships if _may_see(m, event)]


def _may_see(membership: Membership, event: Event) -> bool:
    actor = Actor.from_membership(membership, via="system")
    if visibility.sees_all_projects(actor):
        return True
    if event.kind == K.DOCUMENT_EXPIRING:
        document_id = (event.data or {}).get("document_id")
        return visible_documents(actor).filter(pk=document_id).exists()
    if event.project_id is None:
        return actor.role != Role.CLIENT
    return visibility.visible_projects(actor).filter(pk=event.project_id).exists()


def _admins(organization_id: int) -> set[int]:
    return set(
        Membership.objects.filter(organization_id=organization_id)
        .filter(Q(role="admin") | Q(is_owner=True))
        .values_list("user_id", flat=True)
    )


def _manager_or_admins(event: Event) -> set:
    manager = event.project.manager_id if event.project is not None else None
    return {manager} if manager else _admins(event.organization_id)


def _candidates(event: Event) -> set:
    kind, data = event.kind, event.data or {}
    project, task = event.project, event.task
    if kind in (K.TASK_ASSIGNED, K.TASK_REOPENED):
        return {data.get("assignee_id") or (task.assignee_id if task else None)}
    if kind in (K.TASK_DUE_SOON, K.TASK_OVERDUE):
        if task is not None and task.assignee_id:
            return {task.assignee_id}
        return _manager_or_admins(event)
    if kind == K.APPROVAL_REQUESTED:
        return _deciders(event)
    if kind == K.APPROVAL_DECIDED:
        return {data.get("requested_by")}
    if kind == K.COMMENT_MENTION:
        return set(data.get("user_ids") or [])
    if kind in (K.COMMENT_FOR_CLIENT, K.COMMENT_FROM_CLIENT) and project is not None:
        return _comment_audience(event) - set(data.get("mentioned") or [])
    if kind in TEAM_KINDS and project is not None:
        return {project.manager_id, *project.members.values_list("pk", flat=True)}
    if kind in MANAGER_KINDS:
        return _manager_or_admins(event)
    if kind == K.DOCUMENT_EXPIRING:
        managers = StoreProject.objects.filter(
            organization_id=event.organization_id,
            entity_id=data.get("entity_id"),
            status=ProjectStatus.ACTIVE,
            manager__isnull=False,
        ).values_list("manager_id", flat=True)
        return set(managers) | _admins(event.organization_id)
    if kind in (K.REQUEST_OPENED, K.REQUEST_REVIEWED, K.REQUEST_DUE_SOON):
        return _clients_of(event)
    if kind == K.REQUEST_OVERDUE:
        return _clients_of(event) | {data.get("requested_by")}
    if kind == K.REQUEST_UPLOADED:
        return {data.get("requested_by"), project.manager_id if project else None}
    if kind == K.RISK_DETECTED:
        other = (
            StoreProject.objects.filter(
                organization_id=event.organization_id, pk=data.get("other_project_id")
            )
            .values_list("manager_id", flat=True)
            .first()
        )
        return {project.manager_id if project else None, other}
    return set()


def _clients_of(event: Event) -> set[int]:
    """The client members of the event's project's seller entity."""
    if event.project is None:
        return set()
    clients = entity_clients(
        organization_id=event.organization_id, entity_id=event.project.entity_id
    )
    return set(clients.values_list("user_id", flat=True))


def _comment_audience(event: Event) -> set:
    """A comment shared with the client: the clients of the project's entity; a client's
    comment: the project's manager and team."""
    project = event.project
    if event.kind == K.COMMENT_FROM_CLIENT:
        return {project.manager_id, *project.members.values_list("pk", flat=True)}
    return _clients_of(event)


def _deciders(event: Event) -> set[int]:
    data = event.data or {}
    approval = (
        ApprovalRequest.objects.select_related("project")
        .filter(organization_id=event.organization_id, pk=data.get("approval_id"))
        .first()
    )
    if approval is None or approval.current_level != data.get("level", approval.current_level):
        return set()  # decided, or already at another level, by the time we look
    decided = set(approval.decisions.values_list("decided_by_id", flat=True))
    decided |= set(data.get("decided_by") or [])
    memberships = (
        Membership.objects.filter(organization_id=event.organization_id)
        .filter(
            Q(role__in=["admin", "reviewer"])
            | Q(is_owner=True)
            | Q(user_id=approval.project.manager_id)
        )
        .select_related("user", "organization")
    )
    return {
        m.user_id
        for m in memberships
        if may_decide(Actor.from_membership(m, via="system"), approval, decided)
    }


def _extra_params(event: Event) -> dict:
    """Facts the event's own rows do not hold: the other project of a risk."""
    if event.kind == K.RISK_DETECTED:
        other = (
            StoreProject.objects.filter(
                organization_id=event.organization_id, pk=(event.data or {}).get("other_project_id")
            )
            .values("code", "store_name")
            .first()
        )
        if other:
            return {"other_code": other["code"], "other_store_name": other["store_name"]}
    return {}
