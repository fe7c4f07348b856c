"""Seed data the tests build on: the named users' password and actors, the projects' start date,
small templates and the projects made from them."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable

from linkstar.accounts.models import Membership, Organization, User
from linkstar.accounts.services import create_user
from linkstar.core.actors import Actor
from linkstar.entities.models import SellerEntity
from linkstar.playbooks.models import Template, TemplateVersion
from linkstar.playbooks.services import (
    create_draft_version,
    create_template,
    publish_version,
    replace_draft_tasks,
)
from linkstar.projects.models import StoreProject
from linkstar.projects.services import create_project
from tests.support.gates import give_documents

PASSWORD = "correct horse battery"


def make_user(login: str, name: str = "") -> User:
    return create_user(email=f"{login}@example.com", password=PASSWORD, name=name or login.title())


def actor_of(org: Organization, user: User, *, ip: str | None = None) -> Actor:
    membership = Membership.objects.select_related("organization", "user").get(
        organization=org, user=user
    )
    return Actor.from_membership(membership, ip=ip, via="test")


# The start date of the ``project`` and ``mini_project`` fixtures (and of every project
# :func:`build_project` makes unless told otherwise). A test that reads "today" against it (late,
# due soon, overdue) freezes the project clock with ``on_project_start`` instead of trusting the
# calendar.
PROJECT_START = dt.date(2026, 11, 2)


# collect → check → submit (sets under_review) → go-live (sets opened); announce stands alone and
# asks for ``opened``, a move the state machine refuses from ``preparing``.
MINI_TASKS = [
    {
        "key": "collect",
        "title": "Collect documents",
        "phase": "documents",
        "offset_days": 0,
        "duration_days": 2,
        "role": "operator",
        "checklist": ["licence", "id card"],
    },
    {
        "key": "check",
        "title": "Check the pack",
        "phase": "documents",
        "offset_days": 2,
        "duration_days": 1,
        "depends_on": ["collect"],
        "role": "manager",
    },
    {
        "key": "submit",
        "title": "Submit the application",
        "phase": "registration",
        "offset_days": 3,
        "duration_days": 1,
        "depends_on": ["check"],
        "role": "operator",
        "sets_stage": "under_review",
    },
    {
        "key": "go-live",
        "title": "Go live",
        "phase": "launch",
        "offset_days": 4,
        "duration_days": 3,
        "depends_on": ["submit"],
        "role": "operator",
        "sets_stage": "opened",
    },
    {
        "key": "announce",
        "title": "Announce the store",
        "phase": "launch",
        "offset_days": 1,
        "duration_days": 1,
        "role": "operator",
        "sets_stage": "opened",
    },
]


# collect (an operator's, one approval level, needs the business licence) → submit.
APPROVAL_MINI_TASKS = [
    {
        "key": "collect",
        "title": "Collect documents",
        "phase": "documents",
        "duration_days": 2,
        "role": "operator",
        "approval_levels": 1,
        "document_types": ["business_license"],
        "checklist": ["licence scanned"],
    },
    {
        "key": "submit",
        "title": "Submit the application",
        "phase": "registration",
        "offset_days": 2,
        "duration_days": 1,
        "depends_on": ["collect"],
    },
]


def publish_template(
    actor: Actor,
    tasks: list[dict],
    *,
    name: str = "Mini",
    site: str = "amazon-us",
    publish: bool = True,
) -> Template:
    """An organization template whose version 1 holds ``tasks``, published (or left a draft)."""
    template = create_template(actor=actor, name=name, site=site)
    version = template.versions.get(number=1)
    version = replace_draft_tasks(actor=actor, version=version, tasks=tasks)
    if publish:
        publish_version(actor=actor, version=version)
    return template


def build_project(
    *,
    manager: Actor,
    template: Template,
    entity: SellerEntity,
    members: Iterable[User] = (),
    store_name: str = "Mini Shop US",
    start_date: dt.date = PROJECT_START,
    documents: bool = False,
) -> StoreProject:
    """A project of ``manager``'s from ``template`` for ``entity``, starting on
    :data:`PROJECT_START`, with ``members`` on its team. The ``mini_project`` fixture is this
    with bob, the template of :data:`MINI_TASKS`, the Xinghe entity and carol (``project``: the
    same with the built-in amazon-na template); a test that needs another project (a second one,
    another template) calls it with its own arguments. ``documents``: every catalog document on
    the entity first, for plans whose tasks ask for them."""
    if documents:
        give_documents(entity)
    return create_project(
        actor=manager,
        template_id=template.pk,
        store_name=store_name,
        entity_id=entity.pk,
        start_date=start_date,
        members=[user.pk for user in members],
    )


def publish_next(actor: Actor, template: Template, tasks: list[dict]) -> TemplateVersion:
    """A new version of ``template`` holding ``tasks``, published."""
    draft = create_draft_version(actor=actor, template=template)
    replace_draft_tasks(actor=actor, version=draft, tasks=tasks)
    return publish_version(actor=actor, version=draft)


def changed_mini_tasks(**changes) -> list[dict]:
    """MINI_TASKS with some blueprints changed (``key=dict``), removed (``key=None``)."""
    tasks = []
    for bp in copy.deepcopy(MINI_TASKS):
        change = changes.get(bp["key"].replace("-", "_"), {})
        if change is None:
            continue
        tasks.append({**bp, **change})
    return tasks


NEW_TASK = {
    "key": "tax-interview",
    "title": "Tax interview",
    "phase": "registration",
    "offset_days": 5,
    "duration_days": 2,
    "depends_on": ["check", "collect"],
    "role": "manager",
    "document_types": ["w8ben_e"],
    "approval_levels": 1,
    "checklist": ["W-8BEN-E signed"],
    "sets_stage": None,
}
