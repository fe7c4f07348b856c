"""Who may ask a client for documents, answer, and review (the object is the project, or the
request). Registered at start."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from linkstar.core import policy
from linkstar.projects.permissions import client_of, works_on


def _project(obj):
    return obj.project if hasattr(obj, "project_id") and not hasattr(obj, "stage") else obj


policy.register(
    {
        # the project's team and its manager ask, follow up, make links, review
        "docrequest.manage": lambda a, o: works_on(a, _project(o)),
        # the entity's own client answers; the team may upload what reached it another way
        "docrequest.upload": lambda a, o: works_on(a, _project(o)) or client_of(a, _project(o)),
    },
    {
        "docrequest.manage": _(
            "Only the project's team, its manager or an administrator ask for documents and "
            "review them."
        ),
        "docrequest.upload": _(
            "Only the client of this seller entity or the project's team may upload documents "
            "to this request."
        ),
    },
)
