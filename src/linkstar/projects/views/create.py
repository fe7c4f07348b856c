"""New project (开店项目) and the batch creation wizard (批量开店).

Both pages call the project services; what they add is turning what a person typed or pasted into
the services' arguments and showing the services' errors on the fields and rows they are about,
with the input kept. The wizard keeps its state in its own form posts, never in the session.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership
from linkstar.accounts.web import web_actor
from linkstar.catalog.models import Site
from linkstar.compliance.services import preview_batch_risks
from linkstar.core import policy
from linkstar.core.exceptions import InvalidInput
from linkstar.entities.models import Identifier, IdentifierKind
from linkstar.entities.selectors import visible_entities
from linkstar.playbooks.selectors import published_templates, site_defaults
from linkstar.projects import selectors, services
from linkstar.projects.forms import (
    BY_ROW_SITE,
    ROW_ERROR_COLUMNS,
    BatchRowInput,
    BatchStartForm,
    ProjectCreateForm,
    RowResolver,
    TemplateNames,
    parse_pasted_rows,
    rows_from_post,
)
from linkstar.projects.services.assignment import ASSIGNABLE_ROLES

BLANK_ROWS = 3


# --- what both pages offer to choose from ----------------------------------------------------


class Choices:
    """The organization's templates (published, with their sites), members and entities, each
    read once (a fixed number of queries)."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self.templates = list(published_templates(actor))
        self.memberships = list(
            Membership.objects.filter(organization=actor.organization)
            .select_related("user")
            .order_by("user__name", "user__email")
        )
        # an entity whose personal data was erased takes no new project
        self.entities = list(visible_entities(actor).filter(erased_at__isnull=True))

    def registration_codes(self) -> dict[str, set[int]]:
        """The blind indexes of the visible entities' unified social credit codes (one query),
        so that a row may name its entity by code."""
        codes: dict[str, set[int]] = {}
        rows = Identifier.objects.filter(
            organization=self.actor.organization,
            kind=IdentifierKind.REGISTRATION_NUMBER,
            entity_id__in=[e.pk for e in self.entities],
        ).values_list("digest", "entity_id")
        for digest, entity_id in rows:
            codes.setdefault(digest, set()).add(entity_id)
        return codes

    def template(self, value) -> object | None:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        return next((t for t in self.templates if t.pk == pk), None)

    def template_choices(self) -> list:
        """Grouped by platform, built-in templates before the organization's own."""
        groups: dict[str, list] = {}
        ordered = sorted(
            self.templates,
            key=lambda t: (
                t.site.platform.position,
                t.site.platform.code,
                not t.builtin,
                t.display_name,
            ),
        )
        for t in ordered:
            label = (
                t.display_name if t.builtin else _("%(name)s (our own)") % {"name": t.display_name}
            )
            groups.setdefault(t.site.platform.display_name, []).append((t.pk, label))
        return list(groups.items())

    @staticmethod
    def sites_of(template) -> list[Site]:
        if template is None:
            return []
        sites = {template.site.code: template.site}
        for site in template.sites.all():
            sites.setdefault(site.code, site)
        return sorted(sites.values(), key=lambda s: (s.position, s.code))

    def all_sites(self) -> list[Site]:
        """The sites of every template offered (a batch by each row's site)."""
        sites: dict[str, Site] = {}
        for template in self.templates:
            for site in self.sites_of(template):
                sites.setdefault(site.code, site)
        return sorted(sites.values(), key=lambda s: (s.position, s.code))

    def site_defaults(self) -> dict:
        """Site code → the template a row of that site gets when it names none (one query)."""
        return site_defaults(self.actor, self.templates)

    def site_choices(self, template) -> list[tuple[str, str]]:
        return [(s.code, f"{s.display_name} · {s.currency}") for s in self.sites_of(template)]

    def managers(self) -> list[Membership]:
        return [m for m in self.memberships if m.role in services.MANAGER_ROLES or m.is_owner]

    def manager_choices(self) -> list[tuple[int, str]]:
        return [(m.user_id, m.user.display_name) for m in self.managers()]

    def member_choices(self) -> list[tuple[int, str]]:
        return [
            (m.user_id, f"{m.user.display_name} · {m.get_role_display()}") for m in self.memberships
        ]

    def operator_choices(self) -> list[tuple[int, str]]:
        """Who may be given a store's operator tasks: members who work on tasks."""
        return [
            (m.user_id, f"{m.user.display_name} · {m.get_role_display()}")
            for m in self.memberships
            if m.role in ASSIGNABLE_ROLES
        ]

    def entity_choices(self) -> list[tuple[int, str]]:
        return [(e.pk, e.name) for e in self.entities]


def _entity_list_url(org: str) -> str | None:
    """Where seller entities are created, once that page exists."""
    try:
        return reverse("entity_list", args=[org])
    except NoReverseMatch:
        return None


# --- one project -------------------------------------------------------------------------------


def project_create(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "project.create")
    choices = Choices(actor)
    data = request.POST if request.method == "POST" else None
    template = choices.template((data or request.GET).get("template"))
    form = ProjectCreateForm(
        data,
        initial={
            "template": template.pk if template else None,
            "site": template.site.code if template else "",
            "start_date": services.org_today(actor.organization),
            "manager": actor.user_id if actor.role == "manager" else None,
        },
        templates=choices.template_choices(),
        members=choices.member_choices(),
        sites=choices.site_choices(template),
        entities=choices.entity_choices(),
        managers=choices.manager_choices(),
    )
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            project = services.create_project(
                actor=actor,
                template_id=values["template"],
                store_name=values["store_name"],
                entity_id=values["entity"],
                site=values["site"] or None,
                manager_id=values["manager"],
                start_date=values["start_date"],
                members=values["members"],
            )
        except InvalidInput as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(
                request,
                _("Project %(code)s created with %(n)d tasks.")
                % {"code": project.code, "n": project.task_count},
            )
            return redirect("project_detail", org, project.pk)
    form.flag_errors()
    # Choosing another template redraws the site choices and the template's description.
    form.fields["template"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "change",
            "hx-target": "#site-field",
            "hx-select": "#site-field",
            "hx-swap": "outerHTML",
            "hx-select-oob": "#template-info",
        }
    )
    return render(
        request,
        "projects/create.html",
        {
            "actor": actor,
            "form": form,
            "template": template,
            "template_sites": choices.sites_of(template),
            "has_entities": bool(choices.entities),
            "entity_list_url": _entity_list_url(org),
        },
        status=422 if form.errors else 200,
    )


# --- the batch wizard --------------------------------------------------------------------------


def project_batch(request, org: str):
    """Step 1 template, start date and team → step 2 rows (typed, or pasted from Excel) →
    step 3 preview, every row checked by the service's dry run → step 4 create, list them."""
    actor = web_actor(request, org)
    policy.require(actor, "project.create")
    if request.method != "POST" and request.GET.get("done"):
        return _batch_done(request, actor, request.GET["done"])
    choices = Choices(actor)
    if request.method != "POST":
        template = choices.template(request.GET.get("template"))
        by_row_site = request.GET.get("template") == BY_ROW_SITE
        start = _start_form(
            choices,
            None,
            initial={
                "template": BY_ROW_SITE if by_row_site else template.pk if template else None,
                "start_date": services.org_today(actor.organization),
            },
        )
        return _render_step(request, actor, choices, 1, start, [])

    start = _start_form(choices, request.POST)
    rows = rows_from_post(request.POST)
    action = request.POST.get("action", "rows")
    if action == "back" or not start.is_valid():
        return _render_step(request, actor, choices, 1, start, rows)
    by_row_site = start.cleaned_data["template"] == BY_ROW_SITE
    if not by_row_site and choices.template(start.cleaned_data["template"]) is None:
        start.add_error("template", _("Choose a template."))
        return _render_step(request, actor, choices, 1, start, rows)
    if action.startswith("remove:"):
        index = action.partition(":")[2]
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        return _render_step(request, actor, choices, 2, start, rows or [BatchRowInput()])
    if action == "add_row":
        return _render_step(request, actor, choices, 2, start, [*rows, BatchRowInput()])
    if action == "paste":
        pasted = parse_pasted_rows(request.POST.get("paste", ""))
        notes = [] if pasted else [_("Nothing to add: paste lines copied from Excel first.")]
        kept = [r for r in rows if not r.is_blank]
        return _render_step(request, actor, choices, 2, start, kept + pasted or rows, errors=notes)
    if action in ("preview", "create"):
        return _check_and_create(request, actor, choices, start, rows, create=action == "create")
    return _render_step(
        request, actor, choices, 2, start, rows or [BatchRowInput() for _ in range(BLANK_ROWS)]
    )


def _start_form(choices: Choices, data, initial=None) -> BatchStartForm:
    return BatchStartForm(
        data,
        initial=initial,
        templates=[
            (BY_ROW_SITE, _("By each row's site (mixed platforms)")),
            *choices.template_choices(),
        ],
        members=choices.member_choices(),
        operators=choices.operator_choices(),
    )


def _check_and_create(request, actor, choices, start, rows, *, create: bool):
    rows = [r for r in rows if not r.is_blank]
    if not rows:
        return _render_step(
            request,
            actor,
            choices,
            2,
            start,
            [BatchRowInput() for _ in range(BLANK_ROWS)],
            errors=[_("Give at least one row.")],
        )
    if start.cleaned_data["template"] == BY_ROW_SITE:
        return _check_and_create_by_site(request, actor, choices, start, rows, create=create)
    resolver = RowResolver(
        sites=Site.objects.select_related("platform"),
        entities=choices.entities,
        memberships=choices.memberships,
        preferred_sites=[
            s.code for s in choices.sites_of(choices.template(start["template"].value()))
        ],
        codes=choices.registration_codes(),
    )
    project_rows = [services.ProjectRow(**resolver.resolve(row)) for row in rows]
    unresolved = [set(row.errors) for row in rows]
    values = start.cleaned_data
    arguments = {
        "actor": actor,
        "template_id": values["template"],
        "rows": project_rows,
        "members": values["members"],
        "team_roles": {"operator": values["operators"]} if values.get("operators") else None,
    }
    errors: list[str] = []
    try:
        if not create or any(unresolved):
            services.validate_projects_batch(**arguments)
        else:
            projects = services.create_projects_batch(**arguments, start_date=values["start_date"])
            done = ",".join(str(p.pk) for p in projects)
            return HttpResponseRedirect(f"{request.path}?done={done}")
    except InvalidInput as exc:
        _place_errors(exc, rows, unresolved, errors, indexes=range(len(rows)))
    # Association risks each row would have: a warning under the row, not an error.
    template = choices.template(values["template"])
    found = preview_batch_risks(actor=actor, template_version_or_site=template, rows=project_rows)
    for index, evidence in found.items():
        rows[index].risks = evidence
    return _render_step(request, actor, choices, 3, start, rows, errors=errors)


def _place_errors(exc: InvalidInput, rows, unresolved, errors: list[str], *, indexes) -> None:
    """The service's errors on the rows they are about (``indexes``: the service's row number
    → the row's number in the table), the others above the table, each once."""
    indexes = list(indexes)
    for error in exc.errors:
        if error.row is None or error.row >= len(indexes):
            label = {
                "template_id": _("Template"),
                "version": _("Template"),
                "team_roles": _("Operators sharing the stores"),
            }.get(error.field, error.field)
            message = f"{label}: {error.message}" if error.field != "rows" else str(error.message)
            if message not in errors:
                errors.append(message)
            continue
        index = indexes[error.row]
        column = ROW_ERROR_COLUMNS.get(error.field, "row")
        if column in unresolved[index]:
            continue  # the name typed is unknown: that says more than "required"
        rows[index].add_error(column, error.message)


class _Refused(Exception):
    """A group of a mixed batch was refused: the groups created before it are rolled back."""


def _check_and_create_by_site(request, actor, choices, start, rows, *, create: bool):
    """A batch whose rows may be of several platforms: each row's template is the one its
    template column names, else the organization's default for its site. The rows are grouped
    by template and each group checked (or created) by the batch services, all groups in one
    transaction: every row or none. Errors come back on the rows, numbered as typed."""
    values = start.cleaned_data
    errors: list[str] = []
    if len(rows) > settings.LINKSTAR_BATCH_MAX_ROWS:
        errors.append(_("At most %(n)d rows per batch.") % {"n": settings.LINKSTAR_BATCH_MAX_ROWS})
        return _render_step(request, actor, choices, 3, start, rows, errors=errors)
    sites = list(Site.objects.select_related("platform"))
    site_names = {s.code: s.display_name for s in sites}
    resolver = RowResolver(
        sites=sites,
        entities=choices.entities,
        memberships=choices.memberships,
        codes=choices.registration_codes(),
    )
    names = TemplateNames(choices.templates)
    defaults = choices.site_defaults()
    project_rows, groups = _group_rows_by_template(rows, resolver, names, defaults, site_names)
    _flag_stores_in_two_templates(rows, project_rows, groups, site_names)
    unresolved = [set(row.errors) for row in rows]
    common = {
        "actor": actor,
        "members": values["members"],
        "team_roles": {"operator": values["operators"]} if values.get("operators") else None,
    }
    if create and not any(unresolved):
        projects = _create_groups(
            common, groups, project_rows, rows, unresolved, errors, values["start_date"]
        )
        if projects is not None:
            done = ",".join(str(p.pk) for p in projects)
            return HttpResponseRedirect(f"{request.path}?done={done}")
    else:
        _validate_groups(common, groups, project_rows, rows, unresolved, errors)
    found = preview_batch_risks(actor=actor, template_version_or_site=None, rows=project_rows)
    for index, evidence in found.items():
        rows[index].risks = evidence
    return _render_step(request, actor, choices, 3, start, rows, errors=errors)


def _row_template(row, site: str | None, names, defaults: dict, site_names: dict[str, str]):
    """The template the row's template column names, else its site's default; an error on the
    row when it has no site, or its site no default template."""
    template = names.resolve(row) if row.template else None
    if not row.site:
        row.add_error("site", _("Give the site: each row's template is chosen by its site."))
    elif site and template is None and not row.template:
        template = defaults.get(site)
        if template is None:
            row.add_error(
                "template",
                _(
                    "%(site)s has no default template: name one in the template column, "
                    "or choose the site's default on the templates page."
                )
                % {"site": site_names[site]},
            )
    return template


def _group_rows_by_template(rows, resolver, names, defaults: dict, site_names: dict[str, str]):
    """Each row resolved to a ``ProjectRow``, and template id → the indexes of its rows (the
    rows with a site and a template)."""
    project_rows = []
    groups: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        resolved = resolver.resolve(row)
        project_rows.append(services.ProjectRow(**resolved))
        template = _row_template(row, resolved["site"], names, defaults, site_names)
        if template is not None:
            row.template_label = template.display_name
            if resolved["site"]:
                groups.setdefault(template.pk, []).append(index)
    return project_rows, groups


def _flag_stores_in_two_templates(rows, project_rows, groups, site_names: dict[str, str]) -> None:
    """The same store on the same site twice within one template is the service's to find;
    across two templates (a template column naming another one) only here."""
    first_group: dict[tuple[str, str], int] = {}
    for template_id, indexes in groups.items():
        for index in indexes:
            key = (project_rows[index].site, rows[index].store_name.strip())
            if first_group.setdefault(key, template_id) != template_id and key[1]:
                rows[index].add_error(
                    "store_name",
                    _("Store %(n)r on %(s)s appears twice in this batch.")
                    % {"n": key[1], "s": site_names[key[0]]},
                )


def _create_groups(common, groups, project_rows, rows, unresolved, errors, start_date):
    """Every group's projects, created in one transaction; None when any row is refused (its
    errors placed on the rows, and nothing created)."""
    try:
        with transaction.atomic():
            projects = []
            for template_id, indexes in groups.items():
                try:
                    projects += services.create_projects_batch(
                        **common,
                        template_id=template_id,
                        rows=[project_rows[i] for i in indexes],
                        start_date=start_date,
                    )
                except InvalidInput as exc:
                    _place_errors(exc, rows, unresolved, errors, indexes=indexes)
            if errors or any(row.errors for row in rows):
                raise _Refused
    except _Refused:
        return None
    return projects


def _validate_groups(common, groups, project_rows, rows, unresolved, errors) -> None:
    """Each group checked by the batch services, their errors placed on the rows."""
    for template_id, indexes in groups.items():
        try:
            services.validate_projects_batch(
                **common, template_id=template_id, rows=[project_rows[i] for i in indexes]
            )
        except InvalidInput as exc:
            _place_errors(exc, rows, unresolved, errors, indexes=indexes)


def _render_step(request, actor, choices, step, start, rows, *, errors=()):
    by_row_site = start["template"].value() == BY_ROW_SITE
    template = None if by_row_site else choices.template(start["template"].value())
    bad_rows = sum(1 for r in rows if r.errors)
    context = {
        "actor": actor,
        "step": step,
        "start": start,
        "rows": rows,
        "errors": list(errors),
        "template": template,
        "template_sites": choices.all_sites() if by_row_site else choices.sites_of(template),
        "by_row_site": by_row_site,
        "templates": choices.templates if by_row_site else [],
        "entities": choices.entities,
        "managers": choices.managers(),
        "members_chosen": [
            label
            for value, label in choices.member_choices()
            if str(value) in {str(v) for v in (start["members"].value() or [])}
        ],
        "operators_chosen": [
            label
            for value, label in choices.operator_choices()
            if str(value) in {str(v) for v in (start["operators"].value() or [])}
        ],
        "bad_rows": bad_rows,
        "clean": step == 3 and not bad_rows and not errors,
        "max_rows": settings.LINKSTAR_BATCH_MAX_ROWS,
        "has_entities": bool(choices.entities),
        "entity_list_url": _entity_list_url(actor.organization.slug),
        "default_manager": actor.user if actor.role == "manager" else None,
    }
    status = 422 if step == 3 and (bad_rows or errors) else 200
    return render(request, "projects/batch.html", context, status=status)


def _batch_done(request, actor, done: str):
    ids = [int(v) for v in done.split(",")[: settings.LINKSTAR_BATCH_MAX_ROWS] if v.isdigit()]
    projects = list(
        selectors.project_queryset(actor).prefetch_related(None).filter(pk__in=ids).order_by("id")
    )
    return render(
        request,
        "projects/batch_done.html",
        {"actor": actor, "projects": projects, "step": 4},
    )
