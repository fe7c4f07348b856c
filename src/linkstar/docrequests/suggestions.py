"""What a new document request should ask for: the readiness gate's gaps."""

from __future__ import annotations

from linkstar.compliance.services.readiness import OK, readiness
from linkstar.projects.models import Stage


def suggested_items(project) -> list[dict]:
    """What to ask for: the document types the readiness gate finds missing, expired or
    expiring before the submission — each with a note saying why."""
    state = readiness(project)
    return [
        {"document_type": item["document_type"], "name": item["name"], "status": item["status"]}
        for item in state["items"]
        if item["status"] != OK
    ]


def prefill_wanted(project) -> bool:
    """Whether a new request on this project starts from the readiness gaps: the platform asked
    for more (需补料), or documents are missing."""
    return project.stage == Stage.NEEDS_INFO or bool(suggested_items(project))
