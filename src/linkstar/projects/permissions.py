"""Who may do what to a project, its tasks, its store credentials and the documents of its seller
entity; and the relations to a project other apps' rules are written with (``manages``,
``works_on``, ``client_of``). Registered with the policy at start (``core/apps.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from linkstar.accounts.models import Role
from linkstar.core import policy
from linkstar.projects.models import StoreProject, Task
from linkstar.projects.visibility import team_projects

if TYPE_CHECKING:
    from linkstar.core.actors import Actor


def manages(actor: Actor, project) -> bool:
    return actor.is_admin or (actor.role == Role.MANAGER and project.manager_id == actor.user_id)


def on_project(actor: Actor, project) -> bool:
    """Team member, manager, or assignee of one of its tasks."""
    if actor.user_id is None:
        return False
    if project.manager_id == actor.user_id:
        return True
    if project.members.filter(pk=actor.user_id).exists():
        return True
    return Task.objects.filter(project_id=project.pk, assignee_id=actor.user_id).exists()


def works_on(actor: Actor, project) -> bool:
    if manages(actor, project):
        return True
    return actor.role in {Role.OPERATOR, Role.REVIEWER, Role.MANAGER} and on_project(actor, project)


def project_of(obj):
    return obj if hasattr(obj, "stage") else obj.project


def client_of(actor: Actor, project) -> bool:
    """A client acts only on the projects of its own seller entity."""
    return (
        actor.role == Role.CLIENT
        and actor.entity_id is not None
        and project.entity_id == actor.entity_id
    )


def may_upload_documents(actor: Actor, entity) -> bool:
    """Admins and managers file documents for any entity, a client for its own entity, operators
    and reviewers for the entities of the projects they are on; auditors never."""
    if actor.is_admin or actor.role == Role.MANAGER:
        return True
    if actor.role == Role.CLIENT:
        return actor.entity_id is not None and entity.pk == actor.entity_id
    if actor.role in {Role.OPERATOR, Role.REVIEWER}:
        return team_projects(actor).filter(entity_id=entity.pk).exists()
    return False


def may_reveal(actor: Actor, obj) -> bool:
    """Admins, and managers: of the credential's project, or of a project of the entity."""
    if actor.is_admin:
        return True
    if actor.role != Role.MANAGER or actor.user_id is None:
        return False
    if hasattr(obj, "project_id"):
        return obj.project.manager_id == actor.user_id
    entity_id = getattr(obj, "entity_id", None) or obj.pk
    return StoreProject.objects.filter(
        organization_id=actor.organization.pk, entity_id=entity_id, manager_id=actor.user_id
    ).exists()


policy.register(
    {
        "project.create": lambda a, o: a.is_admin or a.role == Role.MANAGER,
        "project.update": manages,
        "project.stage": manages,
        "project.close": manages,
        "project.restore": lambda a, o: a.is_admin,
        "project.comment": lambda a, o: works_on(a, o) or client_of(a, o),
        # tasks: the object is a task
        "task.work": lambda a, o: works_on(a, project_of(o)),
        "task.plan": lambda a, o: manages(a, project_of(o)),
        "task.skip": lambda a, o: manages(a, project_of(o)),
        # a reviewer sends done work back for correction (退回修改)
        "task.return": lambda a, o: a.role == Role.REVIEWER or manages(a, project_of(o)),
        "task.comment": lambda a, o: works_on(a, project_of(o)) or client_of(a, project_of(o)),
        # store credentials: the object is the project
        "credential.view": lambda a, o: a.is_admin or a.role != Role.CLIENT,
        "credential.manage": manages,
        # secrets of entities and stores: the object is the record holding the secret
        "secret.reveal": may_reveal,
        # document vault: the object is the seller entity the document belongs to
        "document.upload": may_upload_documents,
    },
    {
        "project.create": _("Only administrators and managers may create projects."),
        "project.update": _(
            "Only the project's manager or an administrator may change this project."
        ),
        "project.stage": _("Only the project's manager or an administrator may move its stage."),
        "project.close": _(
            "Only the project's manager or an administrator may close this project."
        ),
        "project.restore": _("Only an administrator may restore a cancelled project."),
        "task.work": _("You may only work on tasks of projects you are on."),
        "task.plan": _("Only the project's manager or an administrator may assign and plan tasks."),
        "task.skip": _("Only the project's manager or an administrator may skip a task."),
        "task.return": _(
            "Only reviewers, administrators or the project's manager return work for correction."
        ),
        "credential.view": _("Clients do not see store credentials."),
        "credential.manage": _(
            "Only the project's manager or an administrator may change its store credentials."
        ),
        "secret.reveal": _(
            "Only administrators and the manager of a project of this seller entity may reveal "
            "secrets."
        ),
        "document.upload": _(
            "Only administrators, managers, the entity's own client, or the team of one of its "
            "projects may upload its documents."
        ),
    },
)
