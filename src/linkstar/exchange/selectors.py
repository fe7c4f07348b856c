"""Reads of the exchange app, scoped to the actor: the imports they may see, one import."""

from __future__ import annotations

from django.db.models import QuerySet

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import NotFound
from linkstar.entities.sensitive import mask_number
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

# Fields whose values an import never shows back in full: passwords not at all, identity and
# registration numbers masked (issue 17 §2).
SECRET_TARGETS = {"password"}
MASKED_TARGETS = {"registration_number", "legal_rep_id_number", "entity_number"}


def secret_columns(job: ImportJob) -> dict[int, str]:
    """The columns never shown back in full, with the field each holds: those mapped to a
    password or an identity/registration number, and those whose header names one even when
    left unmapped."""
    words = synonyms(job.kind)
    guarded = SECRET_TARGETS | MASKED_TARGETS
    found = {i: words.get(norm(h)) for i, h in enumerate(job.headers)}
    hidden = {i: target for i, target in found.items() if target in guarded}
    for i, target in (job.mapping.get("columns") or {}).items():
        if target in guarded:
            hidden[int(i)] = target
    return hidden


def shown_value(target: str, value):
    """How a cell of a guarded column is shown: a password not at all, a number masked."""
    if value in (None, ""):
        return value
    if target in SECRET_TARGETS:
        return MASK
    return mask_number(str(value))


def shown_cells(job: ImportJob, cells: list, hidden: dict[int, str] | None = None) -> list:
    hidden = secret_columns(job) if hidden is None else hidden
    if not hidden:
        return cells
    return [shown_value(hidden[i], v) if i in hidden else v for i, v in enumerate(cells)]
