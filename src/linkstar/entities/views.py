"""Seller entity pages (organization settings): list, create, edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from linkstar.accounts.forms import apply_errors
from linkstar.accounts.views import forbidden, render_in_org_time
from linkstar.core import policy
from linkstar.core.exceptions import InvalidInput, StaleVersion
from linkstar.core.masking import mask
from linkstar.core.web import web_actor
from linkstar.entities import services
from linkstar.entities.forms import EntityForm

PAGE_SIZE = 50


def _denied(request, actor):
    return forbidden(
        request, actor, _("Only administrators and project managers may edit seller entities.")
    )


def entity_list(request, org: str):
    """Every member reads the entities they may see (a client: its own); ID numbers masked."""
    actor = web_actor(request, org)
    entities = policy.visible_entities(actor).order_by("name", "pk")
    page = Paginator(entities, PAGE_SIZE).get_page(request.GET.get("page"))
    for entity in page:
        entity.masked_id_number = mask(entity.legal_rep_id_number) or ""
    return render_in_org_time(
        request,
        actor,
        "entities/list.html",
        {
            "page": page,
            "can_create": policy.can(actor, "entity.create"),
            "can_update": policy.can(actor, "entity.update"),
            "tab": "entities",
        },
    )


def entity_create(request, org: str):
    actor = web_actor(request, org)
    if not policy.can(actor, "entity.create"):
        return _denied(request, actor)
    form = EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            entity = services.create_entity(actor=actor, **values)
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Seller entity “%(name)s” created.") % {"name": entity.name}
            )
            return redirect("entity_list", org)
    return render_in_org_time(
        request,
        actor,
        "entities/form.html",
        {"form": form, "entity": None, "tab": "entities"},
        status=422 if form.errors else 200,
    )


def entity_edit(request, org: str, entity_id: int):
    actor = web_actor(request, org)
    entity = policy.get_visible(policy.visible_entities(actor), pk=entity_id)
    if not policy.can(actor, "entity.update", entity):
        return _denied(request, actor)
    initial = {name: getattr(entity, name) for name in ("name", "name_en", "registration_number")}
    initial.update(
        country=entity.country,
        legal_rep_name=entity.legal_rep_name,
        notes=entity.notes,
        version=entity.version,
    )
    form = EntityForm(request.POST or None, initial=initial, entity=entity)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            entity = services.update_entity(
                actor=actor, entity=entity, version=form.cleaned_data["version"], **form.values()
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        except StaleVersion as exc:
            form.add_error(None, exc.detail)
            status = 409
        else:
            messages.success(request, _("Seller entity “%(name)s” saved.") % {"name": entity.name})
            return redirect("entity_list", org)
    if form.errors and status == 200:
        status = 422
    return render_in_org_time(
        request,
        actor,
        "entities/form.html",
        {"form": form, "entity": entity, "tab": "entities"},
        status=status,
    )
