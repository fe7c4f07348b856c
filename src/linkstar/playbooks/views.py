from __future__ import annotations

from django.shortcuts import render

from linkstar.core.web import web_actor


def template_library(request, org: str):
    actor = web_actor(request, org)
    return render(request, "playbooks/library.html", {"actor": actor})
