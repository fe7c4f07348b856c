"""Reveal: the one way a sensitive value leaves the vault in plain, explicitly and audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from linkstar.audit.services import record
from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput

REASON_MAX = 500


@transaction.atomic
def reveal_secret(*, actor: Actor, obj, field: str, reason: str) -> str:
    """The plain value of one sensitive field, for admins and the manager of a project of the
    entity (of the credential's project for a store credential) — never for auditors, operators,
    reviewers or clients. A reason is required; the event "secret.revealed" names who saw which
    field of which object and why, and never holds the value."""
    policy.require(actor, "secret.reveal", obj)
    errors = []
    if field not in getattr(obj, "SENSITIVE_FIELDS", ()):
        errors.append(FieldError("field", _("This field cannot be revealed.")))
    reason = " ".join((reason or "").split())
    if not reason:
        errors.append(FieldError("reason", _("Say why you need to see this value.")))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", _("At most %(n)d characters.") % {"n": REASON_MAX}))
    if errors:
        raise InvalidInput(errors)
    value = getattr(type(obj).objects.get(pk=obj.pk), field) or ""
    record(
        actor=actor,
        action="secret.revealed",
        obj=obj,
        changes={"field": field, "reason": reason},
        project_id=getattr(obj, "project_id", None),
    )
    return value
