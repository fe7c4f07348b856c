"""Test set-up for the compliance gates (readiness and association risks).

Tests written about other rules (the stage machine, the kanban, pages, the API contract) drive
projects to ``under_review`` and complete document tasks. Since issue 4 those moves need what a
careful agency has: valid documents on the seller entity, and association risks looked at.
``pass_gates`` sets that up directly in the database — like a fixture creating rows — so those
tests keep testing their own rule and write no extra audit events.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from linkstar.catalog.models import DocumentType
from linkstar.compliance.models import AssociationRisk, RiskStatus
from linkstar.documents.models import Document


def give_documents(*entities, expiry_date=None) -> None:
    """A current document of every catalog type on each entity that has none of that type yet
    (no expiry unless given)."""
    entities = list({e.pk: e for e in entities}.values())
    held = set(
        Document.objects.filter(
            entity_id__in=[e.pk for e in entities], is_current=True, person_name=""
        ).values_list("entity_id", "document_type_id")
    )
    Document.objects.bulk_create(
        Document(
            organization_id=entity.organization_id,
            entity_id=entity.pk,
            document_type=doc_type,
            expiry_date=expiry_date,
            notes="test fixture",
        )
        for entity in entities
        for doc_type in DocumentType.objects.all()
        if (entity.pk, doc_type.pk) not in held
    )


def accept_risks(*projects) -> int:
    """Mark the open association risks of these projects (either side of the pair)
    acknowledged."""
    ids = [p.pk for p in projects]
    return AssociationRisk.objects.filter(
        Q(project_id__in=ids) | Q(other_project_id__in=ids), status=RiskStatus.OPEN
    ).update(
        status=RiskStatus.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        reason="test fixture: accepted",
    )


def pass_gates(*projects) -> None:
    """Valid documents on the projects' entities and their association risks accepted."""
    give_documents(*[p.entity for p in projects])
    accept_risks(*projects)
