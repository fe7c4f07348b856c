"""The Import pages (设置 › 导入): upload a tracker, map its columns, preview every row's errors,
import in the background with a progress bar, and see what was created. Thin: the exchange
services decide; the selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, InvalidInput
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time
from linkstar.exchange import progress, selectors, services
from linkstar.exchange.fields import FIELDS
from linkstar.exchange.forms import UploadForm, mapping_from_post
from linkstar.exchange.models import ImportJob, ImportKind, ImportMapping, ImportStatus
from linkstar.exchange.projects_import import ProjectSheet
from linkstar.playbooks.selectors import template_list
from linkstar.projects import visibility

RECENT = 20
PREVIEW_ROWS = 100  # rows shown whatever their state; rows with errors are shown too
PREVIEW_ERROR_ROWS = 500
CREATED_LINKS = 200
TASK_ATTRIBUTES = {
    "status": gettext_lazy("status"),
    "assignee": gettext_lazy("assignee"),
    "due": gettext_lazy("due date"),
}


def import_start(request, org: str):
    """Choose the kind, upload the file; the recent imports below."""
    actor = web_actor(request, org)
    kinds = selectors.importable_kinds(actor)
    asked = request.POST.get("kind") or request.GET.get("kind")
    if not kinds:
        policy.require(actor, selectors.ACTIONS[ImportKind.PROJECTS])
    if asked in ImportKind.values and asked not in kinds:
        policy.require(actor, selectors.ACTIONS[asked])
    initial = {"kind": asked} if asked in kinds else None
    form = UploadForm(kinds=kinds, initial=initial)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.create_import(
                    actor=actor,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    data=upload.read(),
                )
            except InvalidInput as exc:
                apply_errors(form, exc)
            else:
                return redirect("import_detail", org, job.pk)
    jobs = list(selectors.import_list(actor=actor)[:RECENT])
    return render_in_org_time(
        request,
        actor,
        "exchange/import_start.html",
        {"form": form, "jobs": jobs, "tab": "import"},
        status=422 if form.errors else 200,
    )


# --- mapping and preview ----------------------------------------------------------------------


def _field_choices(actor, job: ImportJob) -> list[tuple[str, str]]:
    choices = [(f.name, str(f.label)) for f in FIELDS[job.kind]]
    if job.kind != ImportKind.PROJECTS:
        return choices

    tasks = ProjectSheet(actor, job.mapping.get("defaults", {})).task_names()
    for key, title in tasks.items():
        for attribute, label in TASK_ATTRIBUTES.items():
            choices.append((f"task:{key}:{attribute}", f"{title} · {label}"))
    return choices


def _columns(job: ImportJob, mapping: dict, choices) -> list[dict]:
    """One entry per source column: header, a few sample values, the chosen field."""
    known = {value for value, _label in choices}
    chosen = mapping.get("columns") or {}
    hidden = selectors.secret_columns(job)
    columns = []
    for i, header in enumerate(job.headers):
        samples = []
        for _number, cells in job.rows:
            value = cells[i] if i < len(cells) else None
            if i in hidden:
                value = selectors.shown_value(hidden[i], value)
            if value not in (None, ""):
                samples.append(str(value)[:40])
            if len(samples) == 3:
                break
        target = chosen.get(str(i), "")
        columns.append(
            {
                "index": i,
                "header": header or _("(column %(n)s)") % {"n": i + 1},
                "samples": samples,
                "target": target,
                "unknown": target and target not in known,
            }
        )
    return columns


def _preview(job: ImportJob) -> tuple[list[dict], list[dict], int]:
    """Rows to show (the first ones, and every row with an error), the errors that name no
    row (the mapping's), and how many rows have errors."""
    by_row: dict = {}
    general = []
    for e in job.errors:
        if e.get("row") is None:
            general.append(e)
        else:
            by_row.setdefault(e["row"], []).append(e)
    rows = []
    shown_errors = 0
    hidden = selectors.secret_columns(job)
    for position, (number, cells) in enumerate(job.rows):
        errors = by_row.get(number, [])
        if position >= PREVIEW_ROWS and not errors:
            continue
        if errors:
            shown_errors += 1
            if shown_errors > PREVIEW_ERROR_ROWS:
                break
        bad = {e.get("column") for e in errors}
        rows.append(
            {
                "number": number,
                "cells": [
                    {"value": "" if v is None else v, "bad": job.headers[i] in bad}
                    for i, v in enumerate(selectors.shown_cells(job, cells, hidden))
                ],
                "errors": errors,
            }
        )
    return rows, general, len(by_row)


def _detail_page(request, actor, job: ImportJob, *, mapping=None, form_errors=(), status=200):
    mapping = mapping if mapping is not None else job.mapping
    choices = _field_choices(actor, job)
    rows, general, bad_rows = _preview(job)
    context = {
        "tab": "import",
        "job": job,
        "columns": _columns(job, mapping, choices),
        "choices": choices,
        "defaults": mapping.get("defaults") or {},
        "rows": rows,
        "general_errors": general,
        "form_errors": form_errors,
        "bad_rows": bad_rows,
        "hidden_rows": max(0, job.total - len(rows)),
        "remembered": ImportMapping.objects.filter(
            organization_id=actor.organization.pk, kind=job.kind
        ).exists(),
        "can_run": not job.errors and not form_errors,
    }
    if job.kind == ImportKind.PROJECTS:
        context["templates"] = [
            t for t in template_list(actor=actor) if t.published_version_number is not None
        ]
    return render_in_org_time(request, actor, "exchange/import_detail.html", context, status=status)


def _result_page(request, actor, job: ImportJob):
    progress.live(job)
    created = []
    ids = job.result.get("project_ids") or []
    if job.kind == ImportKind.PROJECTS and ids:
        created = list(
            visibility.visible_projects(actor)
            .filter(pk__in=ids[:CREATED_LINKS])
            .select_related("site")
            .only("pk", "code", "store_name", "stage", "site__code", "site__name")
            .order_by("pk")
        )
    return render_in_org_time(
        request,
        actor,
        "exchange/import_run.html",
        {"tab": "import", "job": job, "created": created, "more": max(0, len(ids) - len(created))},
    )


def import_detail(request, org: str, import_id: int):
    """Before the run: the mapping form and the preview (POST "check" saves the mapping and
    checks the rows again; POST "run" starts the import). Once started: progress, then result."""
    actor = web_actor(request, org)
    job = selectors.import_get(actor=actor, import_id=import_id)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return _result_page(request, actor, job)
    if request.method != "POST":
        return _detail_page(request, actor, job)
    mapping = mapping_from_post(request.POST, len(job.headers))
    changed = mapping != _comparable(job.mapping)
    if changed or request.POST.get("action") != "run":
        try:
            job = services.update_import_mapping(actor=actor, job=job, mapping=mapping)
        except InvalidInput as exc:
            return _detail_page(
                request, actor, job, mapping=mapping, form_errors=exc.errors, status=422
            )
        if request.POST.get("action") == "run":
            messages.warning(
                request, _("The mapping changed: the rows were checked again. Look, then import.")
            )
        return redirect("import_detail", org, job.pk)
    try:
        job = services.start_import(actor=actor, job=job)
    except InvalidInput:
        messages.error(request, _("Rows still have errors: fix them before importing."))
    except Conflict as exc:
        messages.error(request, exc.detail)
    return redirect("import_detail", org, job.pk)


def _comparable(mapping: dict) -> dict:
    """The stored mapping as the form posts it (defaults as text)."""
    defaults = {
        k: str(v) for k, v in (mapping.get("defaults") or {}).items() if v not in (None, "")
    }
    return {"columns": dict(mapping.get("columns") or {}), "defaults": defaults}


@require_GET
def import_progress(request, org: str, import_id: int):
    """The progress bar (htmx polls it every second while the job is queued or running); once
    the job has finished, the page is reloaded to show the result or the errors."""
    actor = web_actor(request, org)
    job = selectors.import_get(actor=actor, import_id=import_id, full=False)
    progress.live(job)
    response = render_in_org_time(request, actor, "exchange/_progress.html", {"job": job})
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response
