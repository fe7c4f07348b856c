from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.entities.identifiers import digest_for
from linkstar.entities.models import IdentifierKind
from linkstar.projects.models import ProjectStatus, Stage

SORTS = [
    ("-created_at", _("Newest first")),
    ("created_at", _("Oldest first")),
    ("code", _("Code")),
    ("store_name", _("Store name")),
    ("planned_finish", _("Planned finish")),
    ("-planned_finish", _("Planned finish, latest first")),
    ("stage", _("Stage")),
    ("forecast", _("Expected opening, soonest first")),
    ("-forecast", _("Expected opening, latest first")),
]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or store name")}),
    )
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ProjectStatus.choices]
    )
    manager = forms.TypedChoiceField(
        label=_("Manager"), required=False, coerce=int, empty_value=None
    )
    entity = forms.TypedChoiceField(
        label=_("Seller entity"), required=False, coerce=int, empty_value=None
    )
    overdue = forms.NullBooleanField(
        label=_("Overdue only"), required=False, widget=forms.CheckboxInput
    )
    order = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args, platforms=(), sites=(), managers=(), entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [("", _("All platforms")), *platforms]
        self.fields["site"].choices = [("", _("All sites")), *sites]
        self.fields["manager"].choices = [("", _("All managers")), *managers]
        self.fields["entity"].choices = [("", _("All entities")), *entities]
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-select form-select-sm"
            )
            if isinstance(field.widget, forms.TextInput):
                css = "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or None,
            "platform": data.get("platform") or None,
            "site": data.get("site") or None,
            "stage": data.get("stage") or None,
            "status": data.get("status") or None,
            "manager": data.get("manager"),
            "entity": data.get("entity"),
            "overdue": True if data.get("overdue") else None,
            "order": data.get("order") or "-created_at",
        }


# --- project creation (single and batch) -------------------------------------------------------


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


# The batch wizard's template choice "by each row's site": rows may be of several platforms.
BY_ROW_SITE = "auto"


def _template_value(value):
    return value if value == BY_ROW_SITE else int(value)


class BatchStartForm(forms.Form):
    """Step 1 of the batch wizard: the template (or ``BY_ROW_SITE``), the start date and the
    shared team. Only the shape of the input is checked here; the rules are the service's."""

    template = forms.TypedChoiceField(
        label=_("SOP template"), coerce=_template_value, required=False, empty_value=None
    )
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput)
    members = forms.TypedMultipleChoiceField(
        label=_("Team members"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # "operators: carol, dave": each store's operator tasks go to the least loaded of them
    # (issue 12 §3.1); the service's ``team_roles`` {"operator": [...]}.
    operators = forms.TypedMultipleChoiceField(
        label=_("Operators sharing the stores"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, templates=(), members=(), operators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("Choose a template…")), *templates]
        self.fields["members"].choices = list(members)
        self.fields["operators"].choices = list(operators)
        self.fields["template"].widget.attrs["required"] = True
        _style(self)

    def flag_errors(self) -> None:
        """Bootstrap's red outline on the fields that have errors."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class ProjectCreateForm(BatchStartForm):
    """One project. ``site`` is free text in a select so that a site the template has lost since
    the page was drawn reaches the service, which names the problem."""

    site = forms.CharField(label=_("Site"), required=False, widget=forms.Select)
    store_name = forms.CharField(label=_("Store name"), required=False, strip=True)
    entity = forms.TypedChoiceField(
        label=_("Seller entity"), coerce=int, required=False, empty_value=None
    )
    manager = forms.TypedChoiceField(
        label=_("Manager"), coerce=int, required=False, empty_value=None
    )

    field_order = ["template", "site", "store_name", "entity", "manager", "start_date", "members"]

    # the service's FieldError.field → this form's field
    SERVICE_FIELDS = {
        "template_id": "template",
        "version": "template",
        "site": "site",
        "store_name": "store_name",
        "entity_id": "entity",
        "manager_id": "manager",
        "members": "members",
        "start_date": "start_date",
    }

    def __init__(self, *args, sites=(), entities=(), managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].widget.choices = list(sites)
        self.fields["entity"].choices = [("", _("Choose a seller entity…")), *entities]
        self.fields["manager"].choices = [("", _("No manager yet")), *managers]
        self.fields["store_name"].widget.attrs.update({"required": True, "autocomplete": "off"})
        self.fields["entity"].widget.attrs["required"] = True
        _style(self)

    def add_service_errors(self, errors) -> None:
        for error in errors:
            self.add_error(self.SERVICE_FIELDS.get(error.field), str(error.message))


# --- batch rows: what a person typed or pasted, and the names it means ----------------------------

ROW_FIELDS = ("store_name", "site", "entity", "manager", "template")

# The service's FieldError.field → the column of the rows table it is shown in.
ROW_ERROR_COLUMNS = {
    "store_name": "store_name",
    "site": "site",
    "entity_id": "entity",
    "manager_id": "manager",
    "template_id": "template",
}

# First cells that make a pasted first line a header (English and Chinese column titles).
HEADER_WORDS = {
    "store",
    "store name",
    "shop",
    "shop name",
    "name",
    "店铺",
    "店铺名",
    "店铺名称",
    "店名",
    "名称",
    "店铺名字",
}


@dataclass
class BatchRowInput:
    """One row of the batch wizard as text, with the errors to show on it."""

    store_name: str = ""
    site: str = ""
    entity: str = ""
    manager: str = ""
    template: str = ""  # a template's name, when the batch takes each row's template
    errors: dict[str, list[str]] = dataclass_field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not any(getattr(self, name).strip() for name in ROW_FIELDS)

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(str(message))

    @property
    def error_list(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def rows_from_post(data) -> list[BatchRowInput]:
    """The rows table of a wizard post (parallel lists, one input of each per row)."""
    columns = [data.getlist(f"row_{name}") for name in ROW_FIELDS]
    count = max((len(c) for c in columns), default=0)
    rows = []
    for i in range(count):
        values = {
            name: (column[i] if i < len(column) else "").strip()
            for name, column in zip(ROW_FIELDS, columns, strict=True)
        }
        rows.append(BatchRowInput(**values))
    return rows


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def parse_pasted_rows(text: str) -> list[BatchRowInput]:
    """Lines copied from Excel: ``store name<TAB>site<TAB>entity<TAB>manager<TAB>template``;
    the last columns may be left out, a header line is skipped, cells Excel quoted are unquoted."""
    lines = list(csv.reader(io.StringIO((text or "").replace("\r\n", "\n")), delimiter="\t"))
    headers = HEADER_WORDS | {_norm(str(_("Store name")))}
    rows: list[BatchRowInput] = []
    first = True
    for line in lines:
        cells = [c.strip() for c in line]
        if not any(cells):
            continue
        if first and _norm(cells[0]) in headers:
            first = False
            continue
        first = False
        rows.append(BatchRowInput(*[*cells, "", "", "", ""][: len(ROW_FIELDS)]))
    return rows


def _compact(text: str) -> str:
    """A name as people type it, for matching: case, spaces, hyphens and a trailing 站 ignored."""
    key = "".join(ch for ch in (text or "").casefold() if not ch.isspace() and ch not in "-_·.")
    return key[:-1] if key.endswith("站") and len(key) > 1 else key


def _site_keys(site) -> set[str]:
    """Every way people name a site: its code, its names with or without 站, the country alone
    (泰国, Thailand, TH) and the platform with the country (Shopee泰国)."""
    platform = site.platform
    keys = {site.code, site.name, site.name_en, site.country}
    for name, platform_names in (
        (site.name, (platform.name, platform.name_en)),
        (site.name_en, (platform.name_en, platform.name)),
    ):
        for platform_name in platform_names:
            if name and platform_name and _compact(name).startswith(_compact(platform_name)):
                country = _compact(name)[len(_compact(platform_name)) :]
                if country:
                    keys.add(country)
                    for other in (platform.name, platform.name_en, platform.code):
                        keys.add(f"{other}{country}")
    for platform_name in (platform.name, platform.name_en, platform.code):
        keys.add(f"{platform_name}{site.country}")
    return {_compact(k) for k in keys if k}


class RowResolver:
    """Turns what people type or paste into ids, in memory (the callers read each kind once):
    sites by code, Chinese or English name, with or without 站, the country alone (泰国, TH) or
    with the platform (Shopee泰国) — the template's sites first; people by email, full name or
    any part that matches exactly one member; seller entities by name, unified social credit
    code or a unique part of the name. Names that mean nothing, or several things, become the
    row's errors, with "did you mean" suggestions."""

    SUGGESTIONS = 3

    def __init__(self, *, sites, entities, memberships, preferred_sites=(), codes=None) -> None:
        sites = list(sites)
        self.site_names = {s.code: s.display_name for s in sites}
        self.preferred = set(preferred_sites)
        self.sites: dict[str, set[str]] = {}
        for site in sites:
            for key in _site_keys(site):
                self.sites.setdefault(key, set()).add(site.code)
        self.entity_names = {e.pk: e.name for e in entities}
        self.entities: dict[str, set[int]] = {}
        self.entity_parts: list[tuple[str, int]] = []
        for entity in entities:
            for key in (entity.name, entity.name_en):
                if key:
                    self.entities.setdefault(_compact(key), set()).add(entity.pk)
                    self.entity_parts.append((_compact(key), entity.pk))
        # unified social credit codes, as blind indexes (the codes are stored encrypted)
        self.codes: dict[str, set[int]] = codes or {}
        self.user_names = {m.user_id: m.user.display_name for m in memberships}
        self.users: dict[str, set[int]] = {}
        self.user_parts: list[tuple[str, int]] = []
        for membership in memberships:
            user = membership.user
            for key in (user.email, user.name, user.email.partition("@")[0]):
                if key:
                    self.users.setdefault(_compact(key), set()).add(membership.user_id)
                    self.user_parts.append((_compact(key), membership.user_id))

    @classmethod
    def _suggest(cls, text: str, names: dict) -> str:
        key = _compact(text)
        scored = sorted(
            names.values(),
            key=lambda name: -difflib.SequenceMatcher(None, key, _compact(name)).ratio(),
        )
        close = [
            n for n in scored if difflib.SequenceMatcher(None, key, _compact(n)).ratio() >= 0.5
        ]
        if not close:
            return ""
        return " " + _("Did you mean: %(names)s?") % {
            "names": "、".join(f"“{n}”" for n in close[: cls.SUGGESTIONS])
        }

    def _pick(self, found: set, preferred: set | None = None):
        if len(found) == 1:
            return next(iter(found))
        if preferred and len(found & preferred) == 1:
            return next(iter(found & preferred))
        return None

    def _answer(self, row, column: str, text: str, found: set, names: dict, several, unknown):
        """The one thing ``found`` holds, or None with the row's error: the candidates' names
        when there are several, "did you mean" when there is none."""
        picked = self._pick(found, self.preferred if column == "site" else None)
        if picked is not None:
            return picked
        if found:
            shown = sorted(names[key] for key in found)[: self.SUGGESTIONS + 2]
            row.add_error(column, several % {"v": text, "names": "、".join(shown)})
        else:
            row.add_error(column, unknown % {"v": text} + self._suggest(text, names))
        return None

    def _site(self, row: BatchRowInput):
        return self._answer(
            row,
            "site",
            row.site,
            self.sites.get(_compact(row.site), set()),
            self.site_names,
            _("“%(v)s” may be several sites: %(names)s. Write the platform too."),
            _("Unknown site “%(v)s”: write its name, e.g. 亚马逊美国站 or Shopee泰国."),
        )

    def _by_part(self, text: str, table: dict, parts: list) -> set:
        key = _compact(text)
        found = set(table.get(key, set()))
        if not found and len(key) >= 2:
            found = {pk for name, pk in parts if key in name}
        return found

    def _entity(self, row: BatchRowInput):
        found = self._by_part(row.entity, self.entities, self.entity_parts)
        if not found and self.codes:
            code = digest_for(IdentifierKind.REGISTRATION_NUMBER, row.entity)
            found = set(self.codes.get(code, set()))
        return self._answer(
            row,
            "entity",
            row.entity,
            found,
            self.entity_names,
            _("“%(v)s” matches several seller entities: %(names)s. Write more of the name."),
            _("No seller entity is called “%(v)s”."),
        )

    def _user(self, row: BatchRowInput):
        return self._answer(
            row,
            "manager",
            row.manager,
            self._by_part(row.manager, self.users, self.user_parts),
            self.user_names,
            _("“%(v)s” matches several members: %(names)s; give the email."),
            _("No member of the organization is called “%(v)s”."),
        )

    def resolve(self, row: BatchRowInput) -> dict:
        """``ProjectRow`` arguments for ``row``; errors of unknown names are added to the row."""
        return {
            "store_name": row.store_name,
            "site": self._site(row) if row.site else None,
            "entity_id": self._entity(row) if row.entity else None,
            "manager_id": self._user(row) if row.manager else None,
        }


class TemplateNames:
    """A batch row's template column: a template's name as people type it, Chinese or English,
    case and spaces ignored, among the published templates offered. The organization's own
    template wins over a built-in one of the same name."""

    def __init__(self, templates) -> None:
        self.names: dict[str, list] = {}
        for template in templates:
            for name in {template.name, template.name_en} - {""}:
                self.names.setdefault(_norm(name), []).append(template)
        self.all_names = {t.pk: t.display_name for t in templates}

    def resolve(self, row: BatchRowInput):
        found = self.names.get(_norm(row.template), [])
        own = [t for t in found if not t.builtin]
        if len(found) == 1 or len(own) == 1:
            return found[0] if len(found) == 1 else own[0]
        if found:
            row.add_error(
                "template",
                _("Several templates are called “%(v)s”: give the template a distinct name.")
                % {"v": row.template},
            )
        else:
            row.add_error(
                "template",
                _("No published template is called “%(v)s”.") % {"v": row.template}
                + RowResolver._suggest(row.template, self.all_names),
            )
        return None
