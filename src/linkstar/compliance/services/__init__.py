"""Compliance rules: document readiness and its gates, association-risk detection and
acknowledgement.

Readiness (资料完整性): every document type the project's tasks need (tasks not skipped) must have
a current document on the project's seller entity that is not expired today and does not expire
before the planned submission. Gates, called by the project services: a task needing documents
is not completed while one is missing or expired; a project does not go ``under_review`` below
100 % (unless a manager's override covers the gaps) nor with unacknowledged association risks.

Association risks (关联风险): two projects of one organization that the platform may link —
different entities sharing an identifier (keyed blind indexes of the entities' identifiers and the
stores' registration environments) in one account scope, or across scopes where the platform links
them; one entity's second account on the same site — one risk per pair (``services.risks``).
"""

from linkstar.compliance.services.common import REASON_MAX, kind_label
from linkstar.compliance.services.environment import set_store_environment, store_environment
from linkstar.compliance.services.readiness import (
    EXPIRED,
    EXPIRING,
    MISSING,
    OK,
    READINESS_STATUSES,
    STATUS_LABELS,
    check_stage_move,
    check_task_completion,
    latest_override,
    override_readiness,
    readiness,
    submission_date,
    task_document_gaps,
)
from linkstar.compliance.services.risks import (
    acknowledge_risk,
    acknowledge_risks,
    after_projects_created,
    basis_label,
    detect_risks,
    may_acknowledge,
    notify_new_risks,
    on_identifiers_changed,
    on_project_entity_changed,
    open_risks,
    orient,
    preview_batch_risks,
    recheck_all_risks,
    scope_of,
)

__all__ = [
    "EXPIRED",
    "EXPIRING",
    "MISSING",
    "OK",
    "READINESS_STATUSES",
    "REASON_MAX",
    "STATUS_LABELS",
    "acknowledge_risk",
    "acknowledge_risks",
    "after_projects_created",
    "basis_label",
    "check_stage_move",
    "check_task_completion",
    "detect_risks",
    "kind_label",
    "latest_override",
    "may_acknowledge",
    "notify_new_risks",
    "on_identifiers_changed",
    "on_project_entity_changed",
    "open_risks",
    "orient",
    "override_readiness",
    "preview_batch_risks",
    "readiness",
    "recheck_all_risks",
    "scope_of",
    "set_store_environment",
    "store_environment",
    "submission_date",
    "task_document_gaps",
]
