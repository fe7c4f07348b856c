"""Model → API dict; every sensitive value masked (``entities.sensitive``)."""

from __future__ import annotations

import datetime as dt

from linkstar.entities.sensitive import masked


def entity_out(e) -> dict:
    return {
        "id": e.pk,
        "name": e.name,
        "name_en": e.name_en,
        "registration_number": masked(e, "registration_number"),
        "country": e.country,
        "registered_address": e.registered_address,
        "licence_expiry": e.licence_expiry,
        "legal_rep_name": e.legal_rep_name,
        "legal_rep_id_number": masked(e, "legal_rep_id_number"),
        "notes": e.notes,
        "erased_at": e.erased_at,
        "version": e.version,
    }


def person_out(p) -> dict:
    return {
        "id": p.pk,
        "entity_id": p.entity_id,
        "role": p.role,
        "name": p.name,
        "name_pinyin": p.name_pinyin,
        "id_type": p.id_type,
        "id_number": masked(p, "id_number"),
        "nationality": p.nationality,
        "id_expiry": p.id_expiry,
        "ownership_percent": (
            float(p.ownership_percent) if p.ownership_percent is not None else None
        ),
        "version": p.version,
    }


def contact_out(c) -> dict:
    return {
        "id": c.pk,
        "entity_id": c.entity_id,
        "kind": c.kind,
        "value": c.value,
        "label": c.label,
        "version": c.version,
    }


def account_out(a) -> dict:
    return {
        "id": a.pk,
        "entity_id": a.entity_id,
        "provider": a.provider,
        "account_holder": a.account_holder,
        "account_number": masked(a, "account_number"),
        "currency": a.currency,
        "label": a.label,
        "version": a.version,
    }


def card_out(c, *, today: dt.date | None = None) -> dict:
    return {
        "id": c.pk,
        "entity_id": c.entity_id,
        "brand": c.brand,
        "holder": c.holder,
        "last4": c.last4,
        "masked_number": c.masked_number,
        "expiry_month": c.expiry_month,
        "expiry_year": c.expiry_year,
        "expired": c.expired_on(today or dt.date.today()),  # noqa: DTZ011 - a calendar month
        "version": c.version,
    }


def address_out(a) -> dict:
    return {
        "id": a.pk,
        "entity_id": a.entity_id,
        "kind": a.kind,
        "text": a.text,
        "version": a.version,
    }


def credential_out(c) -> dict:
    return {
        "id": c.pk,
        "project_id": c.project_id,
        "kind": c.kind,
        "label": c.label,
        "login": c.login,
        "secret": masked(c, "secret"),
        "created_at": c.created_at,
        "created_by": c.created_by_id,
        "rotated_at": c.rotated_at,
        "revoked_at": c.revoked_at,
        "revoked": c.revoked,
        "version": c.version,
    }


RECORD_OUT = {
    "person": person_out,
    "contact": contact_out,
    "account": account_out,
    "card": card_out,
    "address": address_out,
}
