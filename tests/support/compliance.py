"""Compliance seed data: seller entities whose identifiers and documents the test writes itself
(rows, as the entity and vault services would leave them), and stores opened on any catalog site
through the real project services."""

from __future__ import annotations

import itertools

from linkstar.catalog.models import DocumentType
from linkstar.compliance.models import StoreIdentifier
from linkstar.core.crypto import blind_index
from linkstar.core.masking import mask
from linkstar.documents.models import Document
from linkstar.entities.models import Identifier, SellerEntity
from linkstar.playbooks.models import Template
from linkstar.projects.services import create_project
from tests.support.seed import PROJECT_START

START = PROJECT_START


SITE_TEMPLATE = {
    "amazon-us": "amazon-na",
    "amazon-ca": "amazon-na",
    "amazon-mx": "amazon-na",
    "amazon-de": "amazon-eu",
    "amazon-uk": "amazon-eu",
    "amazon-jp": "amazon-jp",
    "ebay-us": "ebay",
    "ebay-de": "ebay",
    "shopee-my": "shopee-cb",
    "shopee-sg": "shopee-cb",
    "tiktok-shop-uk": "tiktok-shop-cb",
    "tiktok-shop-my": "tiktok-shop-cb",
    "tiktok-shop-sg": "tiktok-shop-cb",
}


NORMALISATION = {"email": "email", "phone": "phone", "address": "address"}


_sources = itertools.count(1)


# A small plan: collect the licence and the ID (documents), check (no documents), submit
# (sets under_review, one approval), go live (needs the W-8BEN-E after the opening).
GATE_TASKS = [
    {
        "key": "collect-licence",
        "title": "Collect the licence",
        "phase": "documents",
        "duration_days": 2,
        "document_types": ["business_license"],
    },
    {
        "key": "collect-id",
        "title": "Collect the ID",
        "phase": "documents",
        "duration_days": 2,
        "document_types": ["legal_rep_id_front", "legal_rep_id_back"],
    },
    {
        "key": "check",
        "title": "Check the pack",
        "phase": "documents",
        "offset_days": 2,
        "duration_days": 1,
        "depends_on": ["collect-licence", "collect-id"],
        "approval_levels": 1,
        "document_types": ["business_license"],
    },
    {
        "key": "submit",
        "title": "Submit the application",
        "phase": "registration",
        "offset_days": 3,
        "duration_days": 7,
        "depends_on": ["check"],
        "sets_stage": "under_review",
    },
    {
        "key": "tax",
        "title": "Tax interview",
        "phase": "launch",
        "offset_days": 20,
        "duration_days": 2,
        "depends_on": ["submit"],
        "document_types": ["w8ben_e"],
    },
]


GATE_TYPES = ["business_license", "legal_rep_id_front", "legal_rep_id_back", "w8ben_e"]


def seller(org, name: str) -> SellerEntity:
    """An entity without any identifier (the test adds the ones it is about)."""
    return SellerEntity.objects.create(organization=org, name=name)


def identify(entity, kind: str, value: str, *, source: str | None = None) -> Identifier:
    """The row the entity services keep for one identifier: blind index and masked label."""
    return Identifier.objects.create(
        organization_id=entity.organization_id,
        entity=entity,
        kind=kind,
        digest=blind_index(value, kind=NORMALISATION.get(kind, "text")),
        masked=mask(value),
        source=source or f"test:{next(_sources)}",
    )


def register(project, kind: str, value: str) -> StoreIdentifier:
    """The row kept for one identifier of a store's registration environment (its email, phone,
    IP address or device profile): blind index and masked label, of that project only."""
    return StoreIdentifier.objects.create(
        organization_id=project.organization_id,
        project=project,
        kind=kind,
        digest=blind_index(value, kind=NORMALISATION.get(kind, "text")),
        masked=mask(value),
    )


def document(entity, code: str, *, expiry_date=None, is_current=True, person_name="") -> Document:
    return Document.objects.create(
        organization_id=entity.organization_id,
        entity=entity,
        document_type=DocumentType.objects.get(code=code),
        expiry_date=expiry_date,
        is_current=is_current,
        person_name=person_name,
    )


def open_store(actor, entity, site: str, name: str, *, template=None, start=START):
    template = template or Template.objects.get(organization__isnull=True, key=SITE_TEMPLATE[site])
    return create_project(
        actor=actor,
        template_id=template.pk,
        store_name=name,
        entity_id=entity.pk,
        site=site,
        start_date=start,
    )
