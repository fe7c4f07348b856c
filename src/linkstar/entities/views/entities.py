"""Seller entity pages: the list, create, edit, and the detail page with every record."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.clock import org_today
from linkstar.core.exceptions import InvalidInput, StaleVersion
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time
from linkstar.entities import selectors, services
from linkstar.entities.forms import RECORD_FORMS, EntityForm
from linkstar.entities.selectors import visible_entities
from linkstar.entities.sensitive import masked

PAGE_SIZE = 50
SENSITIVE_POST = ("registration_number", "legal_rep_id_number")


def expiry_status(day: dt.date | None, today: dt.date) -> str:
    """valid / expiring (within the documents' warning window) / expired, as for documents."""
    if day is None:
        return ""
    if day < today:
        return "expired"
    if day <= today + dt.timedelta(days=settings.LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS):
        return "expiring"
    return "valid"


def entity_list(request, org: str):
    """Every member reads the entities they may see (a client: its own); numbers masked."""
    actor = web_actor(request, org)
    entities = visible_entities(actor).order_by("name", "pk")
    page = Paginator(entities, PAGE_SIZE).get_page(request.GET.get("page"))
    for entity in page:
        entity.masked_id_number = masked(entity, "legal_rep_id_number")
        entity.masked_registration_number = masked(entity, "registration_number")
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


@sensitive_post_parameters(*SENSITIVE_POST)
def entity_create(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "entity.create")
    form = EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entity = services.create_entity(actor=actor, **form.values())
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Seller entity “%(name)s” created.") % {"name": entity.name}
            )
            return redirect("entity_detail", org, entity.pk)
    return render_in_org_time(
        request,
        actor,
        "entities/form.html",
        {"form": form, "entity": None, "tab": "entities"},
        status=422 if form.errors else 200,
    )


@sensitive_post_parameters(*SENSITIVE_POST)
def entity_edit(request, org: str, entity_id: int):
    actor = web_actor(request, org)
    entity = selectors.entity_for(actor, entity_id)
    policy.require(actor, "entity.update", entity)
    # Sensitive numbers are never put back into the page (see EntityForm).
    initial = {
        name: getattr(entity, name)
        for name in EntityForm.fields_order
        if name not in entity.SENSITIVE_FIELDS
    }
    initial["version"] = entity.version
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
            return redirect("entity_detail", org, entity.pk)
    if form.errors and status == 200:
        status = 422
    return render_in_org_time(
        request,
        actor,
        "entities/form.html",
        {"form": form, "entity": entity, "tab": "entities"},
        status=status,
    )


def entity_detail(request, org: str, entity_id: int):
    """The company, its people, contacts, accounts, cards and addresses, every sensitive value
    masked, with a reveal button for those who may reveal; a fixed number of queries."""
    actor = web_actor(request, org)
    entity = selectors.entity_with_records(actor, entity_id)
    can_update = not entity.is_erased and policy.can(actor, "entity.update", entity)
    today = org_today(actor.organization)
    entity.masked_registration_number = masked(entity, "registration_number")
    entity.masked_id_number = masked(entity, "legal_rep_id_number")
    entity.licence_status = expiry_status(entity.licence_expiry, today)
    for person in entity.people.all():
        person.masked_id_number = masked(person, "id_number")
        person.expiry_status = expiry_status(person.id_expiry, today)
    for account in entity.accounts.all():
        account.masked_account_number = masked(account, "account_number")
    for card in entity.cards.all():
        card.expired = card.expired_on(today)
    forms = (
        {kind: form_class(prefix=f"new-{kind}") for kind, form_class in RECORD_FORMS.items()}
        if can_update
        else {}
    )
    return render_in_org_time(
        request,
        actor,
        "entities/detail.html",
        {
            "entity": entity,
            "can_update": can_update,
            "can_reveal": policy.can(actor, "secret.reveal", entity),
            "can_erase": not entity.is_erased and policy.can(actor, "entity.erase", entity),
            "forms": forms,
            "tab": "entities",
            "today": today,
        },
    )
