"""Reads of a project's store credentials (the records live with the seller entities' vault,
``entities.models.StoreCredential``), and of any object holding a secret one may reveal: both
reach through the projects the actor sees."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from linkstar.core import policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import FieldError, InvalidInput, NotFound
from linkstar.entities.models import CollectionAccount, EntityPerson, SellerEntity, StoreCredential
from linkstar.entities.selectors import entity_for
from linkstar.projects import visibility


def project_for(actor: Actor, project_id):
    return policy.get_visible(
        visibility.visible_projects(actor).select_related("manager", "entity", "site"),
        pk=project_id,
    )


def credentials_of(actor: Actor, project) -> QuerySet:
    """The project's credentials, newest changes first; clients get 403 (``credential.view``)."""
    policy.require(actor, "credential.view", project)
    return (
        StoreCredential.objects.filter(project=project)
        .select_related("created_by", "rotated_by", "revoked_by")
        .order_by("revoked_at", "kind", "label", "pk")
    )


def credential_for(actor: Actor, project_id, credential_id) -> StoreCredential:
    project = project_for(actor, project_id)
    policy.require(actor, "credential.view", project)
    try:
        credential = StoreCredential.objects.get(pk=int(credential_id), project_id=project.pk)
    except (StoreCredential.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    credential.project = project
    return credential


# What ``POST /reveal`` and the reveal button name: object type → model.
REVEALABLE = {
    "entity": SellerEntity,
    "person": EntityPerson,
    "account": CollectionAccount,
    "credential": StoreCredential,
}


def revealable_for(actor: Actor, object_type: str, object_id):
    """The object holding a secret, if the actor may see it at all (else ``NotFound``)."""
    model = REVEALABLE.get(object_type)
    if model is None:
        raise InvalidInput(
            FieldError(
                "object_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(REVEALABLE)}
            )
        )
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if model is SellerEntity:
        return entity_for(actor, pk)
    if model is StoreCredential:
        credential = StoreCredential.objects.filter(
            pk=pk, organization_id=actor.organization.pk
        ).first()
        if credential is None:
            raise NotFound()
        return credential_for(actor, credential.project_id, pk)
    obj = model.objects.select_related("entity").filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    entity_for(actor, obj.entity_id)
    return obj
