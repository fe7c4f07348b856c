"""A store's registration environment (防关联环境): the email and phone it registers with, the IP
address or proxy and the device or browser profile used. Platforms link accounts through these as
much as through the company's papers, so they are association-risk identifiers of the project —
kept only as keyed blind indexes with a masked label, never in plain text."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.compliance.models import StoreIdentifier
from linkstar.compliance.services.common import kind_label
from linkstar.compliance.services.risks import detect_risks
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput
from linkstar.entities.identifiers import digest_for, masked_label
from linkstar.entities.models import IdentifierKind
from linkstar.projects.models import StoreProject

# field of the API and form → identifier kind (digests and masks as an entity's identifiers)
FIELDS = {
    "registration_email": IdentifierKind.EMAIL,
    "registration_phone": IdentifierKind.PHONE,
    "ip_address": IdentifierKind.IP_ADDRESS,
    "device_profile": IdentifierKind.DEVICE,
}
MAX_LENGTH = 200


def store_environment(project: StoreProject) -> list[dict]:
    """What is recorded of the project's registration environment: ``[{field, kind, kind_label,
    masked}]`` in the order of :data:`FIELDS`."""
    rows = {r.kind: r for r in StoreIdentifier.objects.filter(project_id=project.pk)}
    out = []
    for name, kind in FIELDS.items():
        row = rows.get(kind)
        if row is not None:
            out.append(
                {"field": name, "kind": kind, "kind_label": kind_label(kind), "masked": row.masked}
            )
    return out


@transaction.atomic
def set_store_environment(
    *, actor: Actor, project: StoreProject, values: dict[str, str | None]
) -> list[dict]:
    """Record (a value), clear (``""`` or None) or keep (field absent) each part of the store's
    registration environment; the project's manager or an admin. Audited with masked values;
    the project's association risks are found again in the same transaction."""
    policy.require(actor, "project.update", project)
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            [FieldError(name, _("Not a part of the registration environment.")) for name in unknown]
        )
    errors = [
        FieldError(name, _("At most %(n)d characters.") % {"n": MAX_LENGTH})
        for name, value in values.items()
        if value and len(value.strip()) > MAX_LENGTH
    ]
    if errors:
        raise InvalidInput(errors)
    existing = {r.kind: r for r in StoreIdentifier.objects.filter(project_id=project.pk)}
    changes = {}
    for name, value in values.items():
        kind = FIELDS[name]
        value = (value or "").strip()
        digest = digest_for(kind, value)
        if value and not digest:
            raise InvalidInput(FieldError(name, _("Enter a value with letters or digits.")))
        row = existing.get(kind)
        if row is not None and row.digest == digest:
            continue
        before = row.masked if row is not None else None
        if not digest:
            if row is not None:
                row.delete()
                changes[name] = {"before": before, "after": None}
            continue
        masked = masked_label(kind, value)[:200]
        StoreIdentifier.objects.update_or_create(
            project_id=project.pk,
            kind=kind,
            defaults={
                "organization_id": project.organization_id,
                "digest": digest,
                "masked": masked,
            },
        )
        changes[name] = {"before": before, "after": masked}
    if changes:
        record(
            actor=actor,
            action="project.environment_changed",
            obj=project,
            project_id=project.pk,
            changes=changes,
        )
        detect_risks(organization=project.organization_id, projects=[project.pk])
    return store_environment(project)
