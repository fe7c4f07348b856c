from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.projects.models import ProjectStatus, Stage

SORTS = [
    ("-created_at", _("Newest first")),
    ("created_at", _("Oldest first")),
    ("code", _("Code")),
    ("store_name", _("Store name")),
    ("planned_finish", _("Planned finish")),
    ("-planned_finish", _("Planned finish, latest first")),
    ("stage", _("Stage")),
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


class BatchStartForm(forms.Form):
    """Step 1 of the batch wizard: the template, the start date and the shared team. Only the
    shape of the input is checked here; the rules are the service's."""

    template = forms.TypedChoiceField(
        label=_("SOP template"), coerce=int, required=False, empty_value=None
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

ROW_FIELDS = ("store_name", "site", "entity", "manager")

# The service's FieldError.field → the column of the rows table it is shown in.
ROW_ERROR_COLUMNS = {
    "store_name": "store_name",
    "site": "site",
    "entity_id": "entity",
    "manager_id": "manager",
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
    """Lines copied from Excel: ``store name<TAB>site<TAB>entity<TAB>manager``; the last
    columns may be left out, a header line is skipped, cells Excel quoted are unquoted."""
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
        rows.append(BatchRowInput(*[*cells, "", "", ""][:4]))
    return rows


class RowResolver:
    """Turns the names people type (Chinese or English, codes, emails) into ids, one query per
    kind whatever the number of rows; says which names mean nothing or more than one thing."""

    def __init__(self, *, sites, entities, memberships) -> None:
        self.sites: dict[str, set[str]] = {}
        for site in sites:
            for key in (site.code, site.name, site.name_en):
                if key:
                    self.sites.setdefault(_norm(key), set()).add(site.code)
        self.entities: dict[str, set[int]] = {}
        for entity in entities:
            for key in (entity.name, entity.name_en):
                if key:
                    self.entities.setdefault(_norm(key), set()).add(entity.pk)
        self.users: dict[str, set[int]] = {}
        for membership in memberships:
            for key in (membership.user.email, membership.user.name):
                if key:
                    self.users.setdefault(_norm(key), set()).add(membership.user_id)

    @staticmethod
    def _one(table: dict, text: str, row: BatchRowInput, column: str, unknown, ambiguous):
        found = table.get(_norm(text), set())
        if len(found) == 1:
            return next(iter(found))
        row.add_error(column, (ambiguous if found else unknown) % {"v": text})
        return None

    def resolve(self, row: BatchRowInput) -> dict:
        """``ProjectRow`` arguments for ``row``; errors of unknown names are added to the row."""
        values = {"store_name": row.store_name, "site": None, "entity_id": None, "manager_id": None}
        if row.site:
            values["site"] = self._one(
                self.sites,
                row.site,
                row,
                "site",
                _("Unknown site “%(v)s”: give its code (amazon-us) or its name."),
                _("“%(v)s” names several sites; give the site code."),
            )
        if row.entity:
            values["entity_id"] = self._one(
                self.entities,
                row.entity,
                row,
                "entity",
                _("No seller entity is called “%(v)s”."),
                _("Several seller entities are called “%(v)s”."),
            )
        if row.manager:
            values["manager_id"] = self._one(
                self.users,
                row.manager,
                row,
                "manager",
                _("No member of the organization is called “%(v)s”."),
                _("Several members are called “%(v)s”; give the email."),
            )
        return values
