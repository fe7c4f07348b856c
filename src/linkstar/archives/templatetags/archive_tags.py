"""Buttons the project pages show for exports and archives (their views pass nothing for them)."""

from __future__ import annotations

from django import template

from linkstar.core import policy

register = template.Library()


@register.inclusion_tag("archives/_list_buttons.html", takes_context=True)
def project_list_exports(context):
    """Export and "archive these" for the project list, with the list's current filters."""
    actor = context.get("actor")
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is not None:
        query.pop("page", None)
    return {
        "actor": actor,
        "query": query.urlencode() if query is not None else "",
        "can_archive": actor is not None and policy.can(actor, "archive.create"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("archives/_project_buttons.html", takes_context=True)
def project_archive_button(context):
    """ "Archive" and "export tasks" on a project's page."""
    actor = context.get("actor")
    project = context.get("project")
    return {
        "actor": actor,
        "project": project,
        "can_archive": actor is not None
        and project is not None
        and policy.can(actor, "archive.create", project),
        "csrf_token": context.get("csrf_token"),
    }
