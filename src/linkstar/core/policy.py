"""The one place that decides permissions.

``can(actor, action, obj)`` answers yes/no; ``require`` raises ``PermissionDenied``. Visibility
(what an actor may see at all) is expressed as querysets: an object outside them is *not found*,
never *forbidden*, so nothing leaks across organizations or past a client's own entity.

Roles (DESIGN.md §1): admin everything; manager creates projects and runs the ones they manage;
operator works on tasks of projects they are on; reviewer decides approvals and may do what an
operator may; auditor reads everything and changes nothing; client sees its own entity's projects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from linkstar.core.exceptions import NotFound, PermissionDenied

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

ADMIN, MANAGER, OPERATOR, REVIEWER, AUDITOR, CLIENT = (
    "admin",
    "manager",
    "operator",
    "reviewer",
    "auditor",
    "client",
)
SEES_ALL_PROJECTS = {ADMIN, MANAGER, REVIEWER, AUDITOR}


def _is_admin(actor: Actor) -> bool:
    return actor.is_admin


def _manages(actor: Actor, project) -> bool:
    return _is_admin(actor) or (actor.role == MANAGER and project.manager_id == actor.user_id)


def _on_project(actor: Actor, project) -> bool:
    """Team member, manager, or assignee of one of its tasks."""
    if actor.user_id is None:
        return False
    if project.manager_id == actor.user_id:
        return True
    from linkstar.projects.models import Task

    if project.members.filter(pk=actor.user_id).exists():
        return True
    return Task.objects.filter(project_id=project.pk, assignee_id=actor.user_id).exists()


def _works_on(actor: Actor, project) -> bool:
    if _manages(actor, project):
        return True
    return actor.role in {OPERATOR, REVIEWER, MANAGER} and _on_project(actor, project)


def _project_of(obj):
    return obj if hasattr(obj, "stage") else obj.project


def _client_of(actor: Actor, project) -> bool:
    """A client acts only on the projects of its own seller entity."""
    return (
        actor.role == CLIENT
        and actor.entity_id is not None
        and project.entity_id == actor.entity_id
    )


def _may_upload_documents(actor: Actor, entity) -> bool:
    """Admins and managers file documents for any entity, a client for its own entity, operators
    and reviewers for the entities of the projects they are on; auditors never."""
    if _is_admin(actor) or actor.role == MANAGER:
        return True
    if actor.role == CLIENT:
        return actor.entity_id is not None and entity.pk == actor.entity_id
    if actor.role in {OPERATOR, REVIEWER}:
        return team_projects(actor).filter(entity_id=entity.pk).exists()
    return False


def _may_reveal(actor: Actor, obj) -> bool:
    """Admins, and managers: of the credential's project, or of a project of the entity."""
    if _is_admin(actor):
        return True
    if actor.role != MANAGER or actor.user_id is None:
        return False
    if hasattr(obj, "project_id"):
        return obj.project.manager_id == actor.user_id
    from linkstar.projects.models import StoreProject

    entity_id = getattr(obj, "entity_id", None) or obj.pk
    return StoreProject.objects.filter(
        organization_id=actor.organization.pk, entity_id=entity_id, manager_id=actor.user_id
    ).exists()


RULES = {
    # organization
    "org.view": lambda a, o: True,
    "member.manage": lambda a, o: _is_admin(a),
    "audit.view": lambda a, o: _is_admin(a) or a.role == AUDITOR,
    # catalog-side objects owned by the organization
    "template.manage": lambda a, o: _is_admin(a),
    "entity.create": lambda a, o: _is_admin(a) or a.role == MANAGER,
    "entity.update": lambda a, o: _is_admin(a) or a.role == MANAGER,
    # secrets of entities and stores: the object is the record holding the secret
    "secret.reveal": lambda a, o: _may_reveal(a, o),
    # store credentials: the object is the project
    "credential.view": lambda a, o: _is_admin(a) or a.role != CLIENT,
    "credential.manage": lambda a, o: _manages(a, o),
    # projects
    "project.create": lambda a, o: _is_admin(a) or a.role == MANAGER,
    "project.update": lambda a, o: _manages(a, o),
    "project.stage": lambda a, o: _manages(a, o),
    "project.close": lambda a, o: _manages(a, o),
    "project.restore": lambda a, o: _is_admin(a),
    "project.comment": lambda a, o: _works_on(a, o) or _client_of(a, o),
    # tasks: the object is a task
    "task.work": lambda a, o: _works_on(a, _project_of(o)),
    "task.plan": lambda a, o: _manages(a, _project_of(o)),
    "task.skip": lambda a, o: _manages(a, _project_of(o)),
    # a reviewer sends done work back for correction (退回修改)
    "task.return": lambda a, o: a.role == REVIEWER or _manages(a, _project_of(o)),
    "task.comment": lambda a, o: _works_on(a, _project_of(o)) or _client_of(a, _project_of(o)),
    # document vault: the object is the seller entity the document belongs to
    "document.upload": lambda a, o: _may_upload_documents(a, o),
    # project archives (.zip with audit events and documents): the object is a project, or None
    # for "may request archives at all"
    "archive.create": lambda a, o: (
        _is_admin(a) or a.role == AUDITOR or (a.role == MANAGER and (o is None or _manages(a, o)))
    ),
    # delivery: chat robots, webhooks, the delivery log (issue 5 §3-4); a chat ID's object is
    # the member whose IDs they are
    "channel.manage": lambda a, o: _is_admin(a),
    "delivery.view": lambda a, o: _is_admin(a),
    "delivery.retry": lambda a, o: _is_admin(a),
    "chathandle.edit": lambda a, o: _is_admin(a) or (o is not None and o.pk == a.user_id),
    # approvals: the object is the approval request
    # imports (exchange): the object is the import job, or None
    "import.projects": lambda a, o: _is_admin(a) or a.role == MANAGER,
    "import.entities": lambda a, o: _is_admin(a) or a.role == MANAGER,
    "import.members": lambda a, o: _is_admin(a),
    "approval.decide": lambda a, o: (
        a.role in {ADMIN, REVIEWER}
        or _is_admin(a)
        or (a.user_id is not None and o.project.manager_id == a.user_id)
    ),
    # notifications: an organization's reminder rules (lead times, stalled days)
    "notification.settings": lambda a, o: _is_admin(a),
    # the organization's working-day calendar (weekdays, holidays, make-up working days)
    "calendar.edit": lambda a, o: _is_admin(a),
    # platform mail: the object is the project (none for import and settings)
    "mail.import": lambda a, o: _is_admin(a) or a.role == MANAGER,
    "mail.assign": lambda a, o: _manages(a, o),
    "mail.address": lambda a, o: _manages(a, o),
    "mail.proposal.decide": lambda a, o: _manages(a, o),
    "mail.settings": lambda a, o: _is_admin(a),
    "mail.settings.view": lambda a, o: _is_admin(a) or a.role == AUDITOR,
    # organization API tokens and the background-job page (issue 5 §1, issue 6 §4); retrying a
    # job touches the whole site's queue, so it also takes a site operator (is_staff)
    "token.org_manage": lambda a, o: _is_admin(a),
    "worker.view": lambda a, o: _is_admin(a),
    "worker.manage": lambda a, o: _is_admin(a) and a.user is not None and a.user.is_staff,
}

DENIED_MESSAGES = {
    "member.manage": _("Only an administrator may manage members."),
    "audit.view": _("Only administrators and auditors may read the audit log."),
    "template.manage": _("Only an administrator may change templates."),
    "secret.reveal": _(
        "Only administrators and the manager of a project of this seller entity may reveal secrets."
    ),
    "credential.view": _("Clients do not see store credentials."),
    "credential.manage": _(
        "Only the project's manager or an administrator may change its store credentials."
    ),
    "project.create": _("Only administrators and managers may create projects."),
    "project.update": _("Only the project's manager or an administrator may change this project."),
    "project.stage": _("Only the project's manager or an administrator may move its stage."),
    "project.close": _("Only the project's manager or an administrator may close this project."),
    "project.restore": _("Only an administrator may restore a cancelled project."),
    "task.work": _("You may only work on tasks of projects you are on."),
    "task.plan": _("Only the project's manager or an administrator may assign and plan tasks."),
    "task.skip": _("Only the project's manager or an administrator may skip a task."),
    "task.return": _(
        "Only reviewers, administrators or the project's manager return work for correction."
    ),
    "approval.decide": _(
        "Only reviewers, administrators or the project's manager decide approvals."
    ),
    "import.projects": _("Only administrators and managers may import projects."),
    "import.entities": _("Only administrators and managers may import seller entities."),
    "import.members": _("Only an administrator may import members."),
    "notification.settings": _(
        "Only an administrator may change the organization's notification settings."
    ),
    "archive.create": _(
        "Only administrators, auditors and the project's manager may archive a project."
    ),
    "calendar.edit": _("Only an administrator may change the working-day calendar."),
    "channel.manage": _("Only an administrator may manage notification channels."),
    "delivery.view": _("Only an administrator may read the delivery log."),
    "delivery.retry": _("Only an administrator may retry a delivery."),
    "chathandle.edit": _("Only an administrator may change another member's chat IDs."),
    "document.upload": _(
        "Only administrators, managers, the entity's own client, or the team of one of its "
        "projects may upload its documents."
    ),
    "mail.import": _("Only administrators and managers may import platform mail."),
    "mail.assign": _(
        "Only the project's manager or an administrator may assign platform mail to it."
    ),
    "mail.address": _(
        "Only the project's manager or an administrator may set its registration mailbox."
    ),
    "mail.proposal.decide": _(
        "Only the project's manager or an administrator may accept or dismiss a stage proposal."
    ),
    "mail.settings": _("Only an administrator may change the mail settings."),
    "mail.settings.view": _("Only administrators and auditors may see the mail settings."),
    "token.org_manage": _("Only an administrator may manage the organization's API tokens."),
    "worker.view": _("Only an administrator may see the background jobs."),
    "worker.manage": _("Only a site operator who administers this organization may retry jobs."),
}


def can(actor: Actor, action: str, obj=None) -> bool:
    if (
        obj is not None
        and getattr(obj, "organization_id", actor.organization.pk) != actor.organization.pk
    ):
        return False
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(rule(actor, obj))


def require(actor: Actor, action: str, obj=None) -> None:
    if (
        obj is not None
        and getattr(obj, "organization_id", actor.organization.pk) != actor.organization.pk
    ):
        raise NotFound()
    if not can(actor, action, obj):
        raise PermissionDenied(DENIED_MESSAGES.get(action))


# --- visibility ------------------------------------------------------------------------------


def visible_projects(actor: Actor) -> QuerySet:
    from linkstar.projects.models import StoreProject, Task

    qs = StoreProject.objects.filter(organization_id=actor.organization.pk)
    if actor.is_admin or actor.role in SEES_ALL_PROJECTS:
        return qs
    if actor.role == CLIENT:
        if actor.entity_id is None:
            return qs.none()
        return qs.filter(entity_id=actor.entity_id)
    uid = actor.user_id
    member = StoreProject.members.through.objects.filter(
        storeproject_id=OuterRef("pk"), user_id=uid
    )
    assigned = Task.objects.filter(project_id=OuterRef("pk"), assignee_id=uid)
    return qs.filter(Q(manager_id=uid) | Exists(member) | Exists(assigned))


def visible_tasks(actor: Actor) -> QuerySet:
    from linkstar.projects.models import Task

    return Task.objects.filter(project__in=visible_projects(actor).values("pk"))


def visible_entities(actor: Actor) -> QuerySet:
    from linkstar.entities.models import SellerEntity

    qs = SellerEntity.objects.filter(organization_id=actor.organization.pk)
    if actor.role == CLIENT and not actor.is_admin:
        return qs.filter(pk=actor.entity_id) if actor.entity_id else qs.none()
    return qs


def team_projects(actor: Actor) -> QuerySet:
    """The projects an actor is on: manages, is a member of, or has a task of."""
    from linkstar.projects.models import StoreProject, Task

    uid = actor.user_id
    if uid is None:
        return StoreProject.objects.none()
    member = StoreProject.members.through.objects.filter(
        storeproject_id=OuterRef("pk"), user_id=uid
    )
    assigned = Task.objects.filter(project_id=OuterRef("pk"), assignee_id=uid)
    return StoreProject.objects.filter(organization_id=actor.organization.pk).filter(
        Q(manager_id=uid) | Exists(member) | Exists(assigned)
    )


def visible_documents(actor: Actor) -> QuerySet:
    """Vault documents: all of the organization's for the roles that see every project; a
    client its own entity's; an operator those of the entities of the projects it is on."""
    from linkstar.documents.models import Document

    qs = Document.objects.filter(organization_id=actor.organization.pk)
    if actor.is_admin or actor.role in SEES_ALL_PROJECTS:
        return qs
    if actor.role == CLIENT:
        return qs.filter(entity_id=actor.entity_id) if actor.entity_id else qs.none()
    return qs.filter(entity_id__in=team_projects(actor).values("entity_id"))


def upload_entities(actor: Actor) -> QuerySet:
    """The seller entities an actor may upload documents for (``document.upload``)."""
    qs = visible_entities(actor)
    if actor.is_admin or actor.role in {MANAGER, CLIENT}:
        return qs
    if actor.role in {OPERATOR, REVIEWER}:
        return qs.filter(pk__in=team_projects(actor).values("entity_id"))
    return qs.none()


def get_visible(qs: QuerySet, **lookup):
    """One object from a visibility queryset, or ``NotFound`` (never ``PermissionDenied``)."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
