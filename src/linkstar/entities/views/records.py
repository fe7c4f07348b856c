"""Add, edit and delete the records of an entity (people, contacts, accounts, cards, addresses).
Adding is posted from the entity page; a refused form is shown again on its own page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import InvalidInput, StaleVersion
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time
from linkstar.entities import selectors, services
from linkstar.entities.forms import RECORD_FORMS

# URL segment → record kind, and what the pages call one of each.
SEGMENTS = {
    "people": "person",
    "contacts": "contact",
    "accounts": "account",
    "cards": "card",
    "addresses": "address",
}
TITLES = {
    "person": (gettext_lazy("Add a person"), gettext_lazy("Edit person")),
    "contact": (gettext_lazy("Add a contact"), gettext_lazy("Edit contact")),
    "account": (gettext_lazy("Add a collection account"), gettext_lazy("Edit collection account")),
    "card": (gettext_lazy("Add a card"), gettext_lazy("Edit card")),
    "address": (gettext_lazy("Add an address"), gettext_lazy("Edit address")),
}
SENSITIVE_POST = (
    "card_number",
    "id_number",
    "account_number",
    "new-card-card_number",
    "new-person-id_number",
    "new-account-account_number",
)


def _kind(segment: str) -> str:
    kind = SEGMENTS.get(segment)
    if kind is None:
        raise Http404()
    return kind


def _detail_url(org: str, entity_id: int, kind: str) -> str:
    return reverse("entity_detail", args=[org, entity_id]) + f"#{kind}-section"


def _form_page(request, actor, *, entity, kind, form, obj=None, status=200):
    return render_in_org_time(
        request,
        actor,
        "entities/record_form.html",
        {
            "entity": entity,
            "kind": kind,
            "segment": next(s for s, k in SEGMENTS.items() if k == kind),
            "title": TITLES[kind][0 if obj is None else 1],
            "form": form,
            "record": obj,
            "tab": "entities",
        },
        status=status,
    )


@sensitive_post_parameters(*SENSITIVE_POST)
def record_create(request, org: str, entity_id: int, segment: str):
    actor = web_actor(request, org)
    kind = _kind(segment)
    entity = selectors.entity_for(actor, entity_id)
    policy.require(actor, "entity.update", entity)
    # The same prefix as the add forms of the entity page, whose ids must not collide.
    form = RECORD_FORMS[kind](request.POST or None, prefix=f"new-{kind}")
    if request.method == "POST" and form.is_valid():
        try:
            services.create_record(actor=actor, entity=entity, record_type=kind, **form.values())
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_detail_url(org, entity.pk, kind))
    return _form_page(
        request, actor, entity=entity, kind=kind, form=form, status=422 if form.errors else 200
    )


@sensitive_post_parameters(*SENSITIVE_POST)
def record_edit(request, org: str, entity_id: int, segment: str, item_id: int):
    actor = web_actor(request, org)
    kind = _kind(segment)
    obj = selectors.record_for(actor, entity_id, kind, item_id)
    entity = obj.entity
    policy.require(actor, "entity.update", entity)
    form_class = RECORD_FORMS[kind]
    sensitive = set(obj.SENSITIVE_FIELDS) | {"card_number"}
    initial = {
        name: getattr(obj, name) for name in form_class.fields_order if name not in sensitive
    }
    form = form_class(request.POST or None, initial=initial, instance=obj)
    status = 200
    if request.method == "POST" and form.is_valid():
        version = request.POST.get("version")
        try:
            services.update_record(
                actor=actor,
                obj=obj,
                version=int(version) if version and version.isdigit() else None,
                **form.values(),
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        except StaleVersion as exc:
            form.add_error(None, exc.detail)
            status = 409
        else:
            messages.success(request, _("Saved."))
            return redirect(_detail_url(org, entity.pk, kind))
    if form.errors and status == 200:
        status = 422
    return _form_page(request, actor, entity=entity, kind=kind, form=form, obj=obj, status=status)


def record_delete(request, org: str, entity_id: int, segment: str, item_id: int):
    actor = web_actor(request, org)
    kind = _kind(segment)
    obj = selectors.record_for(actor, entity_id, kind, item_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.delete_record(actor=actor, obj=obj)
    messages.success(request, _("Deleted."))
    return redirect(_detail_url(org, entity_id, kind))
