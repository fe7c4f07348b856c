"""Valid / expiring soon / expired at their boundaries, in Python and in SQL, and what expires
next across the organization."""

from __future__ import annotations

import datetime as dt

import pytest

from linkstar.documents import selectors
from linkstar.documents.models import Document, DocumentStatus
from linkstar.documents.services import upload_document
from tests.support.files import licence

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("expiry", "status"),
    [
        (None, DocumentStatus.VALID),
        (TODAY - dt.timedelta(days=1), DocumentStatus.EXPIRED),
        (TODAY, DocumentStatus.EXPIRING),
        (TODAY + dt.timedelta(days=30), DocumentStatus.EXPIRING),
        (TODAY + dt.timedelta(days=31), DocumentStatus.VALID),
    ],
)
def test_status_boundaries(expiry, status):
    assert Document(expiry_date=expiry).status_on(TODAY) == status


def test_warning_days_come_from_the_setting(settings):
    document = Document(expiry_date=TODAY + dt.timedelta(days=40))
    assert document.status_on(TODAY) == DocumentStatus.VALID
    settings.LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS = 45
    assert document.status_on(TODAY) == DocumentStatus.EXPIRING
    assert document.status_on(TODAY, warn_days=10) == DocumentStatus.VALID


def test_days_left():
    assert Document(expiry_date=TODAY + dt.timedelta(days=3)).days_left(TODAY) == 3
    assert Document(expiry_date=TODAY - dt.timedelta(days=2)).days_left(TODAY) == -2
    assert Document(expiry_date=None).days_left(TODAY) is None


def _family(actor, entity, offsets):
    """One document type per offset (so all stay current), expiring ``offset`` days from TODAY."""
    codes = [
        "business_license",
        "legal_rep_id_front",
        "legal_rep_id_back",
        "passport",
        "credit_card",
        "bank_statement",
        "utility_bill",
        "brand_authorization",
    ]
    made = {}
    for code, offset in zip(codes, offsets, strict=False):
        expiry = None if offset is None else TODAY + dt.timedelta(days=offset)
        made[offset] = upload_document(
            confirm_expiry=True,
            actor=actor,
            entity=entity,
            document_type=code,
            file=licence(),
            issue_date=dt.date(2020, 1, 1),
            expiry_date=expiry,
        )
    return made


def test_sql_status_filter_agrees_with_status_on(as_alice, entity):
    made = _family(as_alice, entity, [None, -1, 0, 30, 31, 200])
    for status in DocumentStatus.values:
        ids = set(
            Document.objects.filter(selectors.status_filter(status, TODAY)).values_list(
                "pk", flat=True
            )
        )
        assert ids == {d.pk for d in made.values() if d.status_on(TODAY) == status}, status


def test_what_expires_next_is_org_wide_soonest_first_within_60_days(
    as_alice, entity, entity_yunfan
):
    made = _family(as_alice, entity, [None, -400, -1, 0, 60, 61])
    yunfan = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity_yunfan,
        document_type="business_license",
        file=licence(),
        expiry_date=TODAY + dt.timedelta(days=10),
    )
    # A superseded version is not listed, whatever its expiry.
    old = upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity_yunfan,
        document_type="vat_certificate",
        file=licence(),
        expiry_date=TODAY + dt.timedelta(days=1),
    )
    upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity_yunfan,
        document_type="vat_certificate",
        file=licence(),
    )
    listed = list(selectors.expiring_documents(actor=as_alice, today=TODAY))
    assert [d.pk for d in listed] == [
        made[-400].pk,
        made[-1].pk,
        made[0].pk,
        yunfan.pk,
        made[60].pk,
    ]
    assert old.pk not in {d.pk for d in listed}


def test_entity_documents_by_type(as_alice, entity):
    made = _family(as_alice, entity, [None, 10])
    upload_document(
        confirm_expiry=True,
        actor=as_alice,
        entity=entity,
        document_type="passport",
        file=licence(),
        person_name="张伟",
    )
    by_type = selectors.entity_documents(actor=as_alice, entity=entity)
    assert by_type["business_license"] == [made[None]]
    assert by_type["legal_rep_id_front"] == [made[10]]
    assert [d.person_name for d in by_type["passport"]] == ["张伟"]
