from __future__ import annotations

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
