"""Web pages of SOP templates (开店模板): the library, a template and its versions, the draft
editor, the version diff, and the upgrade of a project to a newer version.

Thin: each view parses the request, calls the template services (or the project upgrade
service) and renders. What a person may do is asked of the policy, to decide which buttons to
show; the services enforce it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.models import Role
from linkstar.accounts.web import web_actor
from linkstar.catalog.models import DocumentType, Site
from linkstar.core import policy
from linkstar.core.exceptions import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    StaleVersion,
)
from linkstar.core.web import error_text
from linkstar.playbooks import selectors, services
from linkstar.playbooks.diff import diff_blueprints
from linkstar.playbooks.forms import (
    FIELD_LABELS,
    TaskRow,
    TemplateCloneForm,
    TemplateCreateForm,
    add_service_errors,
    place_errors,
    rows_from_post,
    rows_to_tasks,
)
from linkstar.playbooks.models import Phase, Template, TemplateVersion, VersionStatus
from linkstar.projects import selectors as project_selectors
from linkstar.projects.models import Stage, TaskStatus
from linkstar.projects.selectors.upgrade import (
    newer_versions,
    outdated_projects,
    preview_upgrade,
    target_version,
)
from linkstar.projects.services.upgrade import upgrade_project

OUTDATED_PAGE_SIZE = 25


def _manage_reason(actor, template: Template | None = None) -> str | None:
    """Why the actor may not change this template (None when they may)."""
    if template is not None and template.builtin:
        return _("Built-in templates are read-only; clone one to customise it.")
    if not policy.can(actor, "template.manage", template):
        return str(policy.DENIED_MESSAGES["template.manage"])
    return None


def _blueprints(version: TemplateVersion) -> list[dict]:
    return [services.blueprint_as_dict(bp) for bp in version.blueprints.order_by("position")]


def _document_types() -> list[tuple[str, str]]:
    return [(d.code, d.display_name) for d in DocumentType.objects.order_by("pk")]


def _version_url(org: str, version: TemplateVersion) -> str:
    return reverse("template_version", args=[org, version.template_id, version.number])


# --- library ---------------------------------------------------------------------------------


def template_library(request, org: str):
    actor = web_actor(request, org)
    site = request.GET.get("site") or None
    templates = list(selectors.template_list(actor=actor, site=site).prefetch_related("sites"))
    counts = {
        (v["template_id"], v["number"]): v["n"]
        for v in TemplateVersion.objects.filter(template__in=[t.pk for t in templates])
        .values("template_id", "number")
        .annotate(n=Count("blueprints"))
    }
    for t in templates:
        shown = t.published_version_number or t.latest_version_number
        t.task_count = counts.get((t.pk, shown), 0)
    # Which sites each template is the default for (among every published template, whatever
    # the filter: the unfiltered list is that already).
    sites = list(Site.objects.select_related("platform").order_by("platform__name", "code"))
    published = (
        [t for t in templates if t.published_version_number]
        if site is None
        else selectors.published_templates(actor)
    )
    default_of: dict[int, list[str]] = {}
    for code, template in sorted(selectors.site_defaults(actor, published).items()):
        default_of.setdefault(template.pk, []).append(code)
    site_names = {s.code: s.display_name for s in sites}
    for t in templates:
        t.default_sites = [site_names[c] for c in default_of.get(t.pk, []) if c in site_names]
    return render(
        request,
        "playbooks/library.html",
        {
            "actor": actor,
            "builtin": [t for t in templates if t.builtin],
            "own": [t for t in templates if not t.builtin],
            "sites": sites,
            "site": site,
            "manage_reason": _manage_reason(actor),
            "can_create_project": policy.can(actor, "project.create"),
        },
    )


@require_POST
def template_make_default(request, org: str, template_id: int):
    """Make a template the organization's default for all its sites (batch rows naming no
    template get it)."""
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    try:
        services.set_site_default(actor=actor, template=template)
    except InvalidInput as exc:
        for error in exc.errors:
            messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("“%(t)s” is now the default template of its sites.") % {"t": template.display_name},
        )
    return redirect("template_library", org)


def template_create(request, org: str):
    """An empty template of the organization, with its draft version 1."""
    actor = web_actor(request, org)
    reason = _manage_reason(actor)
    if reason:
        raise PermissionDenied(reason)
    sites = [(s.code, f"{s.display_name} ({s.code})") for s in Site.objects.order_by("code")]
    form = TemplateCreateForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_template(
                actor=actor, name=form.cleaned_data["name"], site=form.cleaned_data["site"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Template created with an empty draft version 1."))
            return redirect("template_detail", org, template.pk)
    return render(
        request,
        "playbooks/template_form.html",
        {"actor": actor, "form": form, "source": None},
        status=422 if form.errors else 200,
    )


def template_clone(request, org: str, template_id: int):
    """A copy of a template's latest version, as a new template of the organization."""
    actor = web_actor(request, org)
    source = services.get_template_for(actor, template_id)
    reason = _manage_reason(actor)
    if reason:
        raise PermissionDenied(reason)
    initial = {"name": _("%(name)s (copy)") % {"name": source.display_name}}
    form = TemplateCloneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_template(
                actor=actor, name=form.cleaned_data["name"], clone_from=source
            )
        except InvalidInput as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(
                request,
                _("Template copied from %(name)s; edit its draft version 1, then publish it.")
                % {"name": source.display_name},
            )
            return redirect("template_detail", org, template.pk)
    return render(
        request,
        "playbooks/template_form.html",
        {"actor": actor, "form": form, "source": source},
        status=422 if form.errors else 200,
    )


# --- one template ----------------------------------------------------------------------------


def template_detail(request, org: str, template_id: int):
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    versions = list(
        template.versions.select_related("published_by")
        .annotate(task_count=Count("blueprints"))
        .order_by("-number")
    )
    published = [v for v in versions if v.status == VersionStatus.PUBLISHED]
    latest_published = published[0] if published else None
    outdated = Paginator(
        outdated_projects(actor=actor, template=template), OUTDATED_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for project in outdated:
        project.can_upgrade = policy.can(actor, "project.update", project)
    return render(
        request,
        "playbooks/template_detail.html",
        {
            "actor": actor,
            "template": template,
            "sites": list(template.sites.all()),
            "versions": versions,
            "has_draft": any(v.status == VersionStatus.DRAFT for v in versions),
            "latest_published": latest_published,
            "outdated": outdated,
            "manage_reason": _manage_reason(actor, template),
            "can_clone": _manage_reason(actor) is None,
            "can_create_project": policy.can(actor, "project.create"),
        },
    )


def version_detail(request, org: str, template_id: int, number: int):
    """A version's tasks, read-only."""
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    version = selectors.get_version(template, number)
    documents = dict(_document_types())
    tasks = []
    for bp in _blueprints(version):
        bp["document_names"] = [documents.get(c, c) for c in bp["document_types"]]
        bp["phase_label"] = _label(Phase, bp["phase"])
        bp["role_label"] = _label(Role, bp["role"])
        bp["stage_label"] = _label(Stage, bp["sets_stage"])
        english = (get_language() or "").startswith("en") and len(bp["checklist_en"]) == len(
            bp["checklist"]
        )
        bp["checklist_shown"] = bp["checklist_en"] if english else bp["checklist"]
        tasks.append(bp)
    return render(
        request,
        "playbooks/version_detail.html",
        {
            "actor": actor,
            "template": template,
            "version": version,
            "tasks": tasks,
            "manage_reason": _manage_reason(actor, template),
            "previous": template.versions.filter(number__lt=number).order_by("-number").first(),
        },
    )


@require_POST
def version_new(request, org: str, template_id: int):
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    version = services.create_draft_version(actor=actor, template=template)
    messages.success(
        request,
        _("Draft version %(n)s created from the latest version.") % {"n": version.number},
    )
    return redirect("template_version_edit", org, template.pk, version.number)


@require_POST
def version_publish(request, org: str, template_id: int, number: int):
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    version = selectors.get_version(template, number)
    try:
        services.publish_version(actor=actor, version=version)
    except InvalidInput as exc:
        version.refresh_from_db()
        rows = [TaskRow.from_blueprint(str(i), bp) for i, bp in enumerate(_blueprints(version))]
        return _editor(request, actor, version, rows, place_errors(rows, exc.errors), status=422)
    messages.success(request, _("Version %(n)s is published.") % {"n": version.number})
    return redirect("template_detail", org, template.pk)


@require_POST
def version_retire(request, org: str, template_id: int, number: int):
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    version = services.retire_version(actor=actor, version=selectors.get_version(template, number))
    messages.success(
        request,
        _("Version %(n)s is retired: it starts no new projects.") % {"n": version.number},
    )
    return redirect("template_detail", org, template.pk)


# --- the draft editor ------------------------------------------------------------------------


def _editor(request, actor, version, rows, general_errors, *, status=200, notice=None):
    document_types = _document_types()
    error_list = [
        {
            "rid": row.rid,
            "number": i,
            "key": row.key,
            "label": FIELD_LABELS.get(name, name),
            "message": message,
        }
        for i, row in enumerate(rows, start=1)
        for name, field_messages in row.errors.items()
        for message in field_messages
    ]
    return render(
        request,
        "playbooks/editor.html",
        {
            "actor": actor,
            "template": version.template,
            "version": version,
            "rows": rows,
            "blank_row": TaskRow(rid="__RID__", phase=Phase.DOCUMENTS),
            "general_errors": general_errors,
            "error_list": error_list,
            "error_count": len(error_list) + len(general_errors),
            "notice": notice,
            "phases": Phase.choices,
            "roles": Role.choices,
            "stages": Stage.choices,
            "document_types": document_types,
            "document_codes": {code for code, _name in document_types},
            "labels": FIELD_LABELS,
        },
        status=status,
    )


def version_edit(request, org: str, template_id: int, number: int):
    """Edit a draft's tasks table; save it, or save and publish it. A refused save or publish
    shows every error on its row and cell, with the person's input kept."""
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    version = selectors.get_version(template, number)
    reason = _manage_reason(actor, template)
    if reason:
        raise PermissionDenied(reason)
    if version.status != VersionStatus.DRAFT:
        messages.info(
            request,
            _("Version %(n)d is %(s)s and cannot be edited; create a new draft.")
            % {"n": version.number, "s": version.get_status_display()},
        )
        return redirect(_version_url(org, version))
    if request.method != "POST":
        rows = [TaskRow.from_blueprint(str(i), bp) for i, bp in enumerate(_blueprints(version))]
        return _editor(request, actor, version, rows, [])

    rows = rows_from_post(request.POST)
    tasks = rows_to_tasks(rows)
    if tasks is None:
        return _editor(request, actor, version, rows, [], status=422)
    try:
        sent = int(request.POST.get("version") or 0) or None
    except ValueError:
        sent = None
    try:
        version = services.replace_draft_tasks(
            actor=actor, version=version, tasks=tasks, expected_version=sent
        )
    except InvalidInput as exc:
        return _editor(request, actor, version, rows, place_errors(rows, exc.errors), status=422)
    except StaleVersion:
        version.refresh_from_db()
        notice = _(
            "Someone else saved this draft while you were editing it. Your changes are shown "
            "below, not saved; saving again replaces their version with yours."
        )
        return _editor(request, actor, version, rows, [], status=409, notice=notice)
    if request.POST.get("action") != "publish":
        messages.success(request, _("Draft saved."))
        return redirect("template_version_edit", org, template.pk, version.number)
    try:
        services.publish_version(actor=actor, version=version)
    except InvalidInput as exc:
        version.refresh_from_db()
        general = place_errors(rows, exc.errors)
        notice = _("The draft is saved, but it cannot be published yet: fix the marked cells.")
        return _editor(request, actor, version, rows, general, status=422, notice=notice)
    messages.success(request, _("Version %(n)s is published.") % {"n": version.number})
    return redirect("template_detail", org, template.pk)


# --- version diff ----------------------------------------------------------------------------


def _label(choices, value) -> str:
    if not value:
        return "—"
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _shown(name: str, value, documents: dict[str, str]) -> str:
    """A blueprint value as a person reads it."""
    if value in (None, "", []):
        return "—"
    if name == "phase":
        return _label(Phase, value)
    if name == "role":
        return _label(Role, value)
    if name == "sets_stage":
        return _label(Stage, value)
    if name == "document_types":
        return "\n".join(documents.get(c, c) for c in value)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def version_diff(request, org: str, template_id: int):
    """Tasks added, removed and changed between two versions (default: the latest and the one
    before it)."""
    actor = web_actor(request, org)
    template = services.get_template_for(actor, template_id)
    versions = list(template.versions.order_by("-number"))
    numbers = [v.number for v in versions]

    def pick(name: str, default: int | None) -> int | None:
        try:
            value = int(request.GET.get(name, ""))
        except ValueError:
            return default
        return value if value in numbers else default

    b = pick("b", numbers[0] if numbers else None)
    a = pick("a", next((n for n in numbers if b is not None and n < b), None))
    context = {"actor": actor, "template": template, "versions": versions, "a": a, "b": b}
    if a is None or b is None:
        return render(request, "playbooks/diff.html", {**context, "diff": None})
    by_number = {v.number: v for v in versions}
    documents = dict(_document_types())
    diff = diff_blueprints(_blueprints(by_number[a]), _blueprints(by_number[b]))
    changed = [
        {
            "key": change.key,
            "title": change.after["title"],
            "title_en": change.after.get("title_en") or "",
            "fields": [
                {
                    "name": c.field,
                    "label": FIELD_LABELS.get(c.field, c.field),
                    "before": _shown(c.field, c.before, documents),
                    "after": _shown(c.field, c.after, documents),
                }
                for c in change.changes
            ],
        }
        for change in diff.changed
    ]
    for bp in [*diff.added, *diff.removed]:
        bp["phase_label"] = _label(Phase, bp["phase"])
    return render(
        request,
        "playbooks/diff.html",
        {
            **context,
            "diff": diff,
            "changed": changed,
            "version_a": by_number[a],
            "version_b": by_number[b],
        },
    )


# --- project upgrade -------------------------------------------------------------------------


def project_upgrade(request, org: str, project_id: int):
    """Preview (GET) and apply (POST) the move of a project to a newer published version of its
    template. The preview shows what each task will become; applying goes through the service."""
    actor = web_actor(request, org)
    project = project_selectors.project_get(actor=actor, project_id=project_id)
    # the template's own page answers a client 404 for an organization template: so does this
    template = services.get_template_for(actor, project.template_version.template_id)
    if request.method == "POST":
        try:
            number = int(request.POST.get("version", ""))
            sent = (
                int(request.POST.get("project_version", ""))
                if request.POST.get("project_version")
                else None
            )
        except ValueError:
            number, sent = -1, None
        version = target_version(project, number)
        project = upgrade_project(
            actor=actor, project=project, version=version, expected_version=sent
        )
        messages.success(
            request,
            _("%(code)s now follows version %(n)s of its template.")
            % {"code": project.code, "n": version.number},
        )
        return redirect("project_detail", org, project.pk)

    newer = newer_versions(project)
    context = {
        "actor": actor,
        "project": project,
        "template": template,
        "newer": newer,
        "plan": None,
        "reason": None,
        "statuses": dict(TaskStatus.choices),
    }
    if not newer:
        return render(request, "playbooks/upgrade.html", context)
    try:
        number = int(request.GET["version"]) if request.GET.get("version") else None
    except ValueError:
        number = None
    status = 200
    try:
        version = target_version(project, number)
        context["selected"] = version.number
        plan = preview_upgrade(actor=actor, project=project, version=version)
    except (PermissionDenied, Conflict, InvalidInput) as exc:
        context["reason"] = error_text(exc)
        status = exc.status
    else:
        documents = dict(_document_types())
        context["plan"] = plan
        context["updated"] = _with_shown_changes(plan.updated, documents)
        context["kept"] = _with_shown_changes(plan.kept, documents)
    return render(request, "playbooks/upgrade.html", context, status=status)


def _with_shown_changes(items, documents) -> list[dict]:
    return [
        {
            "item": item,
            "fields": [
                {
                    "label": FIELD_LABELS.get(c.field, c.field),
                    "before": _shown(c.field, c.before, documents),
                    "after": _shown(c.field, c.after, documents),
                }
                for c in item.changes
            ],
        }
        for item in items
    ]
