"""The reveal action of the pages: posted by the reveal dialog, answered with the plain value
as text (never cached), after ``reveal_secret`` checked the role, the reason, and wrote the
audit event. A refusal is answered by ``DomainErrorMiddleware`` with its reason."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache

from linkstar.accounts.web import web_actor
from linkstar.entities import services
from linkstar.projects.selectors import credentials as credential_selectors


@never_cache
def reveal(request, org: str):
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = credential_selectors.revealable_for(
        actor, request.POST.get("object_type", ""), request.POST.get("object_id")
    )
    value = services.reveal_secret(
        actor=actor,
        obj=obj,
        field=request.POST.get("field", ""),
        reason=request.POST.get("reason", ""),
    )
    response = HttpResponse(value, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
