"""Reads of the exchange app, scoped to the actor: the imports they may see, one import."""

from __future__ import annotations

from django.db.models import QuerySet

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.exchange.models import ImportJob, ImportKind

ACTIONS = {
    ImportKind.PROJECTS: "import.projects",
    ImportKind.ENTITIES: "import.entities",
    ImportKind.MEMBERS: "import.members",
}


def importable_kinds(actor: Actor) -> list[str]:
    """The kinds of import the actor may run (projects, entities: managers and admins;
    members: admins)."""
    return [kind for kind in ImportKind.values if policy.can(actor, ACTIONS[kind])]


def import_list(*, actor: Actor) -> QuerySet[ImportJob]:
    """The organization's imports of the kinds the actor may run, newest first, without the
    parsed rows (a list never needs them)."""
    return (
        ImportJob.objects.filter(
            organization_id=actor.organization.pk, kind__in=importable_kinds(actor)
        )
        .select_related("created_by")
        .defer("rows", "headers", "errors", "mapping")
        .order_by("-created_at", "-id")
    )


def import_get(*, actor: Actor, import_id: int, full: bool = True) -> ImportJob:
    """One import of the actor's organization of a kind they may run; ``NotFound`` otherwise.
    ``full=False`` leaves out the parsed rows (the progress fragment polls every second)."""
    qs = ImportJob.objects.filter(organization_id=actor.organization.pk)
    if not full:
        qs = qs.defer("rows", "headers", "mapping")
    job = policy.get_visible(qs, pk=import_id)
    if not policy.can(actor, ACTIONS[job.kind], job):
        raise NotFound()
    return job
