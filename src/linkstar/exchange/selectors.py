"""Reads of the exchange app, scoped to the actor: the imports they may see, one import."""

from __future__ import annotations

from django.db.models import QuerySet

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.exchange.fields import norm, synonyms
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
        .defer("rows", "headers", "errors", "mapping", "plan")
        .order_by("-created_at", "-id")
    )


def import_get(*, actor: Actor, import_id: int, full: bool = True) -> ImportJob:
    """One import of the actor's organization of a kind they may run; ``NotFound`` otherwise.
    Without the preview's resolved rows (``plan``: only the run reads them); ``full=False``
    leaves out the parsed rows too (the progress fragment polls every second)."""
    qs = ImportJob.objects.filter(organization_id=actor.organization.pk).defer("plan")
    if not full:
        qs = qs.defer("rows", "headers", "mapping", "plan")
    job = policy.get_visible(qs, pk=import_id)
    if not policy.can(actor, ACTIONS[job.kind], job):
        raise NotFound()
    return job


MASK = "••••••"


def secret_columns(job: ImportJob) -> set[int]:
    """Columns never shown back (the initial passwords of a members import): those mapped to
    the password, and those whose header names one even when left unmapped."""
    if job.kind != ImportKind.MEMBERS:
        return set()

    words = synonyms(job.kind)
    mapped = {int(i) for i, t in (job.mapping.get("columns") or {}).items() if t == "password"}
    named = {i for i, h in enumerate(job.headers) if words.get(norm(h)) == "password"}
    return mapped | named


def shown_cells(job: ImportJob, cells: list) -> list:
    hidden = secret_columns(job)
    if not hidden:
        return cells
    return [MASK if i in hidden and v not in (None, "") else v for i, v in enumerate(cells)]
