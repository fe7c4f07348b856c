"""What the readiness and risk services share: the manager's right, reasons, labels."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.clock import org_today
from linkstar.core.exceptions import FieldError, InvalidInput, NotFound, PermissionDenied
from linkstar.entities.models import IdentifierKind
from linkstar.projects.models import StoreProject

REASON_MAX = 2000


def today_of(organization) -> dt.date:
    return org_today(organization)


def require_manager(actor: Actor, project: StoreProject, message: str) -> None:
    """``project.update`` (the project's manager or an admin), with this rule's own reason."""
    if project.organization_id != actor.organization.pk:
        raise NotFound()
    if not policy.can(actor, "project.update", project):
        raise PermissionDenied(message)


def clean_reason(reason: str | None, *, ask: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(FieldError("reason", ask))
    if len(reason) > REASON_MAX:
        raise InvalidInput(FieldError("reason", _("At most %(n)d characters.") % {"n": REASON_MAX}))
    return reason


def kind_label(kind: str) -> str:
    if kind in ("", "entity"):
        return _("Same seller entity")
    try:
        return str(IdentifierKind(kind).label)
    except ValueError:
        return kind
