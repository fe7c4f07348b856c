"""What an actor may see at all, as querysets: the projects and tasks, and the projects an actor
is on (the seller entities are entities' own, the vault documents documents' own). An object outside them is *not found*, never *forbidden*
(``policy.get_visible``), so nothing leaks across organizations or past a client's own entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from linkstar.accounts.models import Role
from linkstar.accounts.selectors import member_list
from linkstar.projects.models import StoreProject, Task

if TYPE_CHECKING:
    from linkstar.core.actors import Actor

SEES_ALL_PROJECTS = frozenset({Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.AUDITOR})


def sees_all_projects(actor: Actor) -> bool:
    return actor.is_admin or actor.role in SEES_ALL_PROJECTS


def is_client(actor: Actor) -> bool:
    """A client of the agency (an admin never is): sees only what is shared with the client."""
    return actor.role == Role.CLIENT and not actor.is_admin


def visible_projects(actor: Actor) -> QuerySet:
    qs = StoreProject.objects.filter(organization_id=actor.organization.pk)
    if sees_all_projects(actor):
        return qs
    if actor.role == Role.CLIENT:
        if actor.entity_id is None:
            return qs.none()
        return qs.filter(entity_id=actor.entity_id)
    return team_projects(actor)  # operators: the projects they are on


def visible_tasks(actor: Actor) -> QuerySet:
    return Task.objects.filter(project__in=visible_projects(actor).values("pk"))


def team_projects(actor: Actor) -> QuerySet:
    """The projects an actor is on: manages, is a member of, or has a task of."""
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


def visible_members(actor: Actor) -> QuerySet:
    """The members an actor may see: every member for the organization's staff; a client only
    the people of its own seller entity and the team of its entity's projects (managers, team
    members, assignees) — never the other clients nor the rest of the staff (issue 15 §1)."""
    qs = member_list(actor=actor)
    if actor.is_admin or actor.role != Role.CLIENT:
        return qs
    if actor.entity_id is None:
        return qs.filter(user_id=actor.user_id)
    projects = StoreProject.objects.filter(
        organization_id=actor.organization.pk, entity_id=actor.entity_id
    )
    assignees = Task.objects.filter(project__in=projects.values("pk")).values("assignee_id")
    return qs.filter(
        Q(user_id=actor.user_id)
        | Q(role=Role.CLIENT, entity_id=actor.entity_id)
        | Q(user_id__in=projects.values("manager_id"))
        | Q(user_id__in=projects.values("members"))
        | Q(user_id__in=assignees)
    )
