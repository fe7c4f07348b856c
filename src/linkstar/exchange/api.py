"""Imports over the API: upload a tracker (multipart), read the job (mapping, preview errors,
progress), change the mapping, run it in the background."""

from __future__ import annotations

from typing import Any

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from linkstar.accounts.web import actor_for
from linkstar.core.api import ERRORS
from linkstar.exchange import progress, selectors, services
from linkstar.exchange.models import ImportJob

router = Router(tags=["exchange"])


class ImportOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    phase: str
    processed: int
    total: int
    percent: int
    header_row: int
    headers: list[str]
    mapping: dict[str, Any]
    errors: list[dict[str, Any]]
    preview: list[dict[str, Any]]
    result: dict[str, Any]


class MappingIn(Schema):
    columns: dict[str, str]
    defaults: dict[str, Any] = {}


def import_out(job: ImportJob) -> dict:
    progress.live(job)
    bad = {}
    for e in job.errors:
        bad.setdefault(e.get("row"), []).append(e)
    hidden = selectors.secret_columns(job)
    preview = [
        {
            "row": number,
            "cells": selectors.shown_cells(job, cells, hidden),
            "errors": bad.get(number, []),
        }
        for number, cells in job.rows[: services.PREVIEW_ROWS]
    ]
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "status": job.status,
        "phase": job.phase,
        "processed": job.processed,
        "total": job.total,
        "percent": job.percent,
        "header_row": job.header_row,
        "headers": job.headers,
        "mapping": job.mapping,
        "errors": job.errors,
        "preview": preview,
        "result": job.result,
    }


def get_job(actor, import_id: int) -> ImportJob:
    return selectors.import_get(actor=actor, import_id=import_id)


@router.post("/orgs/{org}/imports", response={201: ImportOut, **ERRORS})
def import_create(request, org: str, kind: Form[str], file: File[UploadedFile]):
    """Upload a tracker (.xlsx or .csv) as ``kind`` projects, entities or members: answers the
    job with its guessed mapping and every row's errors (a preview; nothing imported yet)."""
    actor = actor_for(request, org)
    job = services.create_import(actor=actor, kind=kind, file_name=file.name, data=file.read())
    return Status(201, import_out(job))


@router.get("/orgs/{org}/imports/{import_id}", response={200: ImportOut, **ERRORS})
def import_detail(request, org: str, import_id: int):
    """Status, progress (processed/total), mapping and errors of an import."""
    return import_out(get_job(actor_for(request, org), import_id))


@router.put("/orgs/{org}/imports/{import_id}/mapping", response={200: ImportOut, **ERRORS})
def import_mapping(request, org: str, import_id: int, payload: MappingIn):
    """``{"columns": {"<column index>": field}, "defaults": {"template_id", "start_date"}}``;
    the rows are checked again and the mapping remembered for the organization."""
    actor = actor_for(request, org)
    job = services.update_import_mapping(
        actor=actor, job=get_job(actor, import_id), mapping=payload.model_dump()
    )
    return import_out(job)


@router.post("/orgs/{org}/imports/{import_id}/run", response={202: ImportOut, **ERRORS})
def import_run(request, org: str, import_id: int):
    """Start the import in the background: all rows or none (422 while rows have errors)."""
    actor = actor_for(request, org)
    job = services.start_import(actor=actor, job=get_job(actor, import_id))
    return Status(202, import_out(job))
