"""The page that erases a seller entity's personal data on request (administrators only): it
says what is destroyed and what is kept, and asks for the entity's name to confirm."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, InvalidInput
from linkstar.core.web import render_in_org_time
from linkstar.documents.privacy import erase_entity
from linkstar.documents.selectors import visible_documents
from linkstar.entities import selectors


def entity_erase(request, org: str, entity_id: int):
    actor = web_actor(request, org)
    entity = selectors.entity_for(actor, entity_id)
    policy.require(actor, "entity.erase", entity)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            erase_entity(
                actor=actor, entity=entity, confirm_name=request.POST.get("confirm_name", "")
            )
        except (InvalidInput, Conflict) as exc:
            error = (
                exc.errors[0].message
                if isinstance(exc, InvalidInput) and exc.errors
                else str(exc.detail)
            )
            status = 422 if isinstance(exc, InvalidInput) else 409
        else:
            messages.success(request, _("The seller entity's personal data was erased."))
            return redirect("entity_detail", org, entity.pk)
    return render_in_org_time(
        request,
        actor,
        "entities/erase.html",
        {
            "entity": entity,
            "error": error,
            "document_count": visible_documents(actor).filter(entity=entity).count(),
            "project_count": entity.projects.count(),
            "tab": "entities",
        },
        status=status,
    )
