"""Writes on store credentials: the platform login, API keys and ERP tokens of one store."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, check_version
from linkstar.entities.models import CredentialKind, StoreCredential
from linkstar.entities.sensitive import masked_changes
from linkstar.entities.services.validation import Checker

EDITABLE = ("kind", "label", "login", "secret")


@sensitive_variables("fields", "values")
def _clean(fields: dict, *, creating: bool) -> dict:
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    check = Checker(StoreCredential)
    if creating:
        for name in ("kind", "label", "secret"):
            values.setdefault(name, "")
    check.choice(values, "kind", CredentialKind.choices)
    check.text(values, "label", required=True)
    check.text(values, "login")
    if "secret" in values:
        # A secret is taken as typed (no stripping inside): only surrounding blanks go.
        secret = "" if values["secret"] is None else str(values["secret"]).strip()
        values["secret"] = secret
        if not secret:
            check.fail("secret", _("This field is required."))
        elif len(secret) > (limit := StoreCredential._meta.get_field("secret").max_length):
            check.fail("secret", _("At most %(n)d characters.") % {"n": limit})
    check.done()
    return values


@sensitive_variables("fields", "values", "secret")
@transaction.atomic
def create_credential(*, actor: Actor, project, **fields) -> StoreCredential:
    """The project's manager or an admin records a store secret; it is stored encrypted and
    never written to the audit log."""
    policy.require(actor, "credential.manage", project)
    values = _clean(fields, creating=True)
    credential = StoreCredential.objects.create(
        organization_id=project.organization_id,
        project=project,
        created_by=actor.user,
        **values,
    )
    record(
        actor=actor,
        action="credential.created",
        obj=credential,
        changes=masked_changes(StoreCredential, {}, values),
        project_id=project.pk,
    )
    return credential


@sensitive_variables("fields", "values", "before")
@transaction.atomic
def update_credential(
    *, actor: Actor, credential: StoreCredential, version: int | None = None, **fields
) -> StoreCredential:
    """Rename, or rotate (a new ``secret``: ``rotated_at`` is set). A revoked credential is
    kept for the record and cannot be changed (409)."""
    policy.require(actor, "credential.manage", credential.project)
    credential = StoreCredential.objects.select_for_update().get(pk=credential.pk)
    check_version(credential, version)
    if credential.revoked:
        raise Conflict(_("This credential was revoked; add a new one instead."), code="revoked")
    values = _clean(fields, creating=False)
    before = {f: getattr(credential, f) for f in values}
    changes = masked_changes(StoreCredential, before, values)
    if not changes:
        return credential
    for key, value in values.items():
        setattr(credential, key, value)
    rotated = "secret" in changes
    if rotated:
        credential.rotated_at = timezone.now()
        credential.rotated_by = actor.user
    credential.version += 1
    credential.save()
    record(
        actor=actor,
        action="credential.rotated" if rotated else "credential.updated",
        obj=credential,
        changes=changes,
        project_id=credential.project_id,
    )
    return credential


@transaction.atomic
def revoke_credential(
    *, actor: Actor, credential: StoreCredential, version: int | None = None
) -> StoreCredential:
    """Mark a credential revoked (e.g. when the person who knew it leaves) and erase its
    secret: what is no longer valid is no longer kept. Revoking twice changes nothing."""
    policy.require(actor, "credential.manage", credential.project)
    credential = StoreCredential.objects.select_for_update().get(pk=credential.pk)
    check_version(credential, version)
    if credential.revoked:
        return credential
    credential.revoked_at = timezone.now()
    credential.revoked_by = actor.user
    credential.secret = ""
    credential.version += 1
    credential.save()
    record(
        actor=actor,
        action="credential.revoked",
        obj=credential,
        changes={"revoked_at": {"before": None, "after": credential.revoked_at}},
        project_id=credential.project_id,
    )
    return credential


def set_credential_revoked(
    *, actor: Actor, credential: StoreCredential, revoked: bool, version: int | None = None
) -> StoreCredential:
    """``revoked: true`` revokes; a revoked credential cannot be brought back (409): its secret
    is gone, record a new one."""
    if revoked:
        return revoke_credential(actor=actor, credential=credential, version=version)
    policy.require(actor, "credential.manage", credential.project)
    check_version(credential, version)
    if credential.revoked:
        raise Conflict(_("This credential was revoked; add a new one instead."), code="revoked")
    return credential


@transaction.atomic
def delete_credential(*, actor: Actor, credential: StoreCredential) -> None:
    """Remove a credential entirely (one recorded by mistake); the audit event keeps its label."""
    policy.require(actor, "credential.manage", credential.project)
    credential = StoreCredential.objects.select_for_update().get(pk=credential.pk)
    record(
        actor=actor,
        action="credential.deleted",
        obj=credential,
        changes={
            "kind": {"before": credential.kind, "after": None},
            "label": {"before": credential.label, "after": None},
        },
        project_id=credential.project_id,
    )
    credential.delete()
