from __future__ import annotations

from django.shortcuts import render

from linkstar.core.web import web_actor


def audit_log(request, org: str):
    actor = web_actor(request, org)
    return render(request, "audit/log.html", {"actor": actor})
