from __future__ import annotations

from django.shortcuts import render

from linkstar.core.web import web_actor


def _todo(request, org: str, **kwargs):
    actor = web_actor(request, org)
    return render(request, "projects/todo.html", {"actor": actor})


my_tasks = _todo
task_detail = _todo
