"""The report's filters: a period (by the projects' start date) and who, what and where."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linkstar.reports.selectors import Filters


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("Started from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("report period", "to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)
    manager = forms.TypedChoiceField(
        label=_("Manager"), required=False, coerce=int, empty_value=None
    )
    entity = forms.TypedChoiceField(
        label=_("Client entity"), required=False, coerce=int, empty_value=None
    )
    template = forms.TypedChoiceField(
        label=_("Template"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args,
        platforms=(),
        sites=(),
        managers=(),
        entities=(),
        templates=(),
        period=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [("", _("All platforms")), *platforms]
        self.fields["site"].choices = [("", _("All sites")), *sites]
        self.fields["manager"].choices = [("", _("All managers")), *managers]
        self.fields["entity"].choices = [("", _("All entities")), *entities]
        self.fields["template"].choices = [("", _("All templates")), *templates]
        self.period = period
        for field in self.fields.values():
            kind = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"

    def clean(self):
        data = super().clean()
        start, end = data.get("start") or self.period[0], data.get("end") or self.period[1]
        if start > end:
            self.add_error("end", _("The end of the period cannot be before its start."))
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        data = (
            self.cleaned_data
            if self.is_valid()
            else {"start": self.period[0], "end": self.period[1]}
        )
        return Filters(
            start=data["start"],
            end=data["end"],
            platform=data.get("platform") or "",
            site=data.get("site") or "",
            manager=data.get("manager"),
            entity=data.get("entity"),
            template=data.get("template"),
        )
