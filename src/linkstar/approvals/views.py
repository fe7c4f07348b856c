from __future__ import annotations

from django.shortcuts import render

from linkstar.core.web import web_actor


def approval_inbox(request, org: str):
    actor = web_actor(request, org)
    return render(request, "approvals/inbox.html", {"actor": actor})
