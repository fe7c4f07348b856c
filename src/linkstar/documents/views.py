"""The vault pages (资料库): the list with what expires next and the upload form, a document with
its versions, the download, and attaching documents to tasks. Thin: services and selectors
decide."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from linkstar.accounts.web import web_actor
from linkstar.catalog.models import DocumentType
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput, PermissionDenied
from linkstar.core.forms import apply_errors
from linkstar.core.web import error_text, render_in_org_time
from linkstar.documents import retention, selectors, services
from linkstar.documents.downloads import file_response
from linkstar.documents.forms import AttachForm, UploadForm, VaultFilterForm
from linkstar.documents.models import Document
from linkstar.documents.templatetags.vault import attachments_panel_context, decorate
from linkstar.entities.selectors import visible_entities
from linkstar.projects import visibility

PAGE_SIZE = 50
EXPIRING_ROWS = 20


def _document_types() -> list[tuple[str, str]]:
    return [(t.code, t.display_name) for t in DocumentType.objects.order_by("position", "code")]


def _entities(qs) -> list[tuple[int, str]]:
    return list(qs.order_by("name", "pk").values_list("pk", "name"))


def _upload_form(actor, data=None, files=None, initial=None, document_types=None):
    return UploadForm(
        data,
        files,
        initial=initial,
        entities=_entities(selectors.upload_entities(actor)),
        document_types=document_types if document_types is not None else _document_types(),
    )


def _upload_initial(request) -> dict:
    """Prefill from a document page's "upload a new version" link."""
    initial = {}
    for field, param in (
        ("entity", "upload_entity"),
        ("document_type", "upload_type"),
        ("person_name", "upload_person"),
    ):
        if request.GET.get(param):
            initial[field] = request.GET[param]
    return initial


def _vault_page(request, actor, *, upload_form=None, status: int = 200):
    today = services.org_today(actor.organization)
    document_types = _document_types()
    filters = VaultFilterForm(
        request.GET or None,
        entities=_entities(visible_entities(actor)),
        document_types=document_types,
    )
    values = filters.cleaned_data if filters.is_valid() else {}
    documents = selectors.document_list(
        actor=actor,
        today=today,
        entity=values.get("entity"),
        document_type=values.get("document_type") or None,
        status=values.get("status") or None,
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page.object_list, today)
    expiring = decorate(
        list(selectors.expiring_documents(actor=actor, today=today)[:EXPIRING_ROWS]), today
    )
    if upload_form is None:
        upload_form = _upload_form(
            actor, initial=_upload_initial(request), document_types=document_types
        )
    query = urlencode(
        {k: v for k, v in request.GET.items() if k in ("entity", "document_type", "status") and v}
    )
    return render_in_org_time(
        request,
        actor,
        "documents/vault.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "expiring": expiring,
            "horizon_days": settings.LINKSTAR_DOCUMENT_EXPIRY_HORIZON_DAYS,
            "upload_form": upload_form,
            "can_upload": bool(upload_form.fields["entity"].choices[1:]),
            "upload_limit": settings.LINKSTAR_UPLOAD_MAX_BYTES,
            "today": today,
        },
        status=status,
    )


@require_GET
def vault(request, org: str):
    """Every member opens the vault and sees the documents they may see."""
    actor = web_actor(request, org)
    return _vault_page(request, actor)


@require_POST
def document_upload(request, org: str):
    actor = web_actor(request, org)
    form = _upload_form(actor, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        entity = visible_entities(actor).filter(pk=data["entity"]).first()
        try:
            if entity is None:
                raise InvalidInput(FieldError("entity", _("Choose a seller entity.")))
            document = services.upload_document(
                actor=actor,
                entity=entity,
                document_type=data["document_type"],
                file=data["file"],
                issue_date=data["issue_date"],
                expiry_date=data["expiry_date"],
                notes=data["notes"],
                person_name=data["person_name"],
                confirm_expiry=data["confirm_expiry"],
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(
                "confirm_expiry" if "confirm_expiry" in form.fields else None, exc.detail
            )
            status = exc.status
        except PermissionDenied as exc:
            form.add_error(None, exc.detail)
            status = 403
        else:
            text = _("“%(name)s” uploaded (version %(n)d).") % {
                "name": document.original_name,
                "n": document.version_number,
            }
            if document.supersedes_id:
                text += " " + _("The previous version is kept in its history.")
            messages.success(request, text)
            return redirect("document_detail", org, document.pk)
    return _vault_page(request, actor, upload_form=form, status=status)


@require_GET
def document_detail(request, org: str, document_id: int):
    actor = web_actor(request, org)
    document = selectors.document_get(actor=actor, document_id=document_id)
    today = services.org_today(actor.organization)
    versions = decorate(selectors.document_versions(document=document), today)
    decorate([document], today)
    uses = selectors.document_uses(actor=actor, documents=versions)
    new_version_url = None
    if policy.can(actor, "document.upload", document.entity):
        params = {"upload_entity": document.entity_id, "upload_type": document.document_type.code}
        if document.person_name:
            params["upload_person"] = document.person_name
        new_version_url = reverse("vault", args=[org]) + "?" + urlencode(params) + "#upload"
    return render_in_org_time(
        request,
        actor,
        "documents/detail.html",
        {
            "document": document,
            "versions": versions,
            "uses": uses,
            "new_version_url": new_version_url,
            "today": today,
        },
    )


@require_GET
def document_download(request, org: str, document_id: int):
    """The file, streamed after the same visibility check as its page (else 404)."""
    actor = web_actor(request, org)
    return file_response(selectors.document_get(actor=actor, document_id=document_id))


# --- task attachments ------------------------------------------------------------------------------


def _task(actor, task_id: int):
    return policy.get_visible(
        visibility.visible_tasks(actor).select_related("project__entity"), pk=task_id
    )


def _back_to_task(request, org: str, task_id: int) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        target = reverse("task_detail", args=[org, task_id])
    return HttpResponseRedirect(target + "#task-attachments")


def _panel(request, actor, task, *, error: str | None = None, status: int = 200):
    context = attachments_panel_context(actor=actor, task=task, error=error)
    return render(request, "documents/_attachments_panel.html", context, status=status)


@require_POST
def task_attach(request, org: str, task_id: int):
    actor = web_actor(request, org)
    task = _task(actor, task_id)
    form = AttachForm(request.POST)
    try:
        document = None
        if form.is_valid():
            document = Document.objects.filter(
                organization_id=actor.organization.pk, pk=form.cleaned_data["document"]
            ).first()
        if document is None:
            raise InvalidInput([], _("Choose a document to attach."))
        services.attach_document(actor=actor, task=task, document=document)
    except (InvalidInput, Conflict) as exc:
        if not request.htmx:
            raise
        return _panel(request, actor, task, error=error_text(exc) or exc.detail, status=exc.status)
    if request.htmx:
        return _panel(request, actor, task)
    messages.success(request, _("Document attached."))
    return _back_to_task(request, org, task_id)


@require_POST
def task_detach(request, org: str, task_id: int, attachment_id: int):
    actor = web_actor(request, org)
    task = _task(actor, task_id)
    attachment = selectors.attachment_get(actor=actor, task=task, attachment_id=attachment_id)
    try:
        services.detach_document(actor=actor, attachment=attachment)
    except Conflict as exc:
        if not request.htmx:
            raise
        return _panel(request, actor, task, error=exc.detail, status=exc.status)
    if request.htmx:
        return _panel(request, actor, task)
    messages.success(request, _("Document removed from the task."))
    return _back_to_task(request, org, task_id)


@require_POST
def task_upload(request, org: str, task_id: int):
    """Upload a document from the task page and attach it in one step."""
    actor = web_actor(request, org)
    task = _task(actor, task_id)
    file = request.FILES.get("file")
    if file is None:
        raise InvalidInput(FieldError("file", _("Choose a file to upload.")))
    services.upload_and_attach(
        actor=actor,
        task=task,
        document_type=request.POST.get("document_type", ""),
        file=file,
        issue_date=_date_or_none(request.POST.get("issue_date"), "issue_date"),
        expiry_date=_date_or_none(request.POST.get("expiry_date"), "expiry_date"),
        person_name=request.POST.get("person_name", ""),
        confirm_expiry=bool(request.POST.get("confirm_expiry")),
    )
    messages.success(request, _("Document uploaded and attached."))
    return _back_to_task(request, org, task_id)


def _date_or_none(raw: str | None, field: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(FieldError(field, _("Enter a date as YYYY-MM-DD."))) from None


def retention_settings(request, org: str):
    """How long the files of closed projects' documents are kept (administrators change it;
    every member may read it)."""
    actor = web_actor(request, org)
    can_edit = policy.can(actor, "document.retention")
    months = retention.retention_months(actor.organization)
    error = ""
    status = 200
    if request.method == "POST":
        policy.require(actor, "document.retention")
        raw = (request.POST.get("months") or "").strip()
        try:
            value = int(raw) if raw else None
        except ValueError:
            value = -1
        try:
            months = retention.set_retention(actor=actor, months=value).months
        except InvalidInput as exc:
            error, status = exc.errors[0].message, 422
            months = raw
        else:
            messages.success(request, _("Document retention saved."))
            return redirect("document_retention", org)
    return render_in_org_time(
        request,
        actor,
        "documents/retention.html",
        {"months": months, "can_edit": can_edit, "error": error, "tab": "retention"},
        status=status,
    )
