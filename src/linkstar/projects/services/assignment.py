"""Who does the tasks of new projects: each blueprint's ``role`` is given to a person of the
project's team holding that role (issue 12 §3).

The manager role goes to the project's manager. Any other role goes to the people chosen for it
for the batch (``team_roles``: "operators: carol, dave"), or else to the project's members whose
organization role it is. One person takes a role's tasks of one project (a store has one
operator, not a different one per step); among several candidates the least loaded takes it:
open tasks in the organization, counted in one query, plus what this batch gave them already.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership, Role
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.projects.models import FINISHED_TASK_STATUSES, Task

# Roles whose people may work on tasks, so may be chosen to do a blueprint's role. The manager
# role is the project's manager's; auditors and clients change nothing.
ASSIGNABLE_ROLES = (Role.OPERATOR, Role.REVIEWER, Role.ADMIN)
MANAGER_ROLE = Role.MANAGER


def check_team_roles(actor: Actor, team_roles: dict[str, list[int]] | None) -> dict[str, list[int]]:
    """The per-batch choice role → people, checked: known roles (not the manager's: that is the
    project's manager), members of the organization who may work on tasks. Returns it cleaned
    (no empty lists, no duplicates, in the order given)."""
    if not team_roles:
        return {}
    errors: list[FieldError] = []
    wanted = {uid for uids in team_roles.values() for uid in (uids or [])}
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            organization=actor.organization, user_id__in=wanted
        ).select_related("user")
    }
    cleaned: dict[str, list[int]] = {}
    for role, uids in team_roles.items():
        if role == MANAGER_ROLE:
            errors.append(
                FieldError(
                    "team_roles",
                    _(
                        "The project manager's tasks go to each project's manager; choose a manager per row."
                    ),
                )
            )
            continue
        if role not in ASSIGNABLE_ROLES:
            errors.append(FieldError("team_roles", _("Unknown task role %(r)r.") % {"r": role}))
            continue
        people: list[int] = []
        for uid in uids or []:
            m = memberships.get(uid)
            if m is None:
                errors.append(
                    FieldError(
                        "team_roles",
                        _("User %(id)s is not a member of the organization.") % {"id": uid},
                    )
                )
            elif m.role not in ASSIGNABLE_ROLES and not m.is_owner:
                errors.append(
                    FieldError(
                        "team_roles",
                        _("%(who)s is %(role)s and cannot work on tasks.")
                        % {"who": m.user.display_name, "role": m.get_role_display()},
                    )
                )
            elif uid not in people:
                people.append(uid)
        if people:
            cleaned[role] = people
    if errors:
        raise InvalidInput(errors)
    return cleaned


@dataclass
class TeamPlan:
    """Per project (in order): role → the user who does it; and the people chosen for the
    batch who joined each project's team by taking one of its roles."""

    assignees: list[dict[str, int | None]]
    joined: list[set[int]]


def plan_assignments(
    *,
    organization,
    roles: list[str],
    managers: list[int | None],
    teams: list[list[int]],
    team_roles: dict[str, list[int]],
) -> TeamPlan:
    """Choose, for each project (its manager and team members) and each role of the plan
    (``roles``: the blueprints' roles, with repeats), who does that role's tasks. Two queries:
    the candidates' organization roles and their open tasks."""
    per_role = Counter(r for r in roles if r)
    candidates_all = {uid for team in teams for uid in team} | {
        uid for uids in team_roles.values() for uid in uids
    }
    role_of = dict(
        Membership.objects.filter(
            organization=organization, user_id__in=candidates_all
        ).values_list("user_id", "role")
    )
    load: Counter = Counter(
        dict(
            Task.objects.filter(organization=organization, assignee_id__in=role_of)
            .exclude(status__in=FINISHED_TASK_STATUSES)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    assignees: list[dict[str, int | None]] = []
    joined: list[set[int]] = []
    for manager_id, team in zip(managers, teams, strict=True):
        chosen: dict[str, int | None] = {}
        added: set[int] = set()
        for role, n in per_role.items():
            if role == MANAGER_ROLE:
                who = manager_id
            else:
                pool = team_roles.get(role) or [uid for uid in team if role_of.get(uid) == role]
                # Least loaded first; equal loads go to the one named (or joined) first.
                who = min(pool, key=lambda uid: (load[uid], pool.index(uid)), default=None)
                if who is not None and role in team_roles and who not in team:
                    added.add(who)
            if who is not None:
                load[who] += n
            chosen[role] = who
        assignees.append(chosen)
        joined.append(added)
    return TeamPlan(assignees=assignees, joined=joined)
