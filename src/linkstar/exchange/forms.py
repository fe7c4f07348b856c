"""Forms of the Import pages: they parse input; the exchange services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.core.forms import StyledForm
from linkstar.exchange.models import ImportKind


class UploadForm(StyledForm):
    kind = forms.ChoiceField(label=_("What the file holds"), widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel workbook (.xlsx, first sheet) or a CSV file (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, label) for k, label in ImportKind.choices if k in kinds]
        self.fields["kind"].initial = kinds[0] if kinds else None
        self.fields["kind"].widget.attrs["class"] = "form-check-input"


def mapping_from_post(data, column_count: int) -> dict:
    """The mapping form's ``col-<i>`` selects and defaults as the services' mapping dict."""
    columns = {}
    for i in range(column_count):
        target = (data.get(f"col-{i}") or "").strip()
        if target:
            columns[str(i)] = target
    defaults = {}
    if data.get("template_id"):
        defaults["template_id"] = data.get("template_id")
    if data.get("start_date"):
        defaults["start_date"] = data.get("start_date")
    return {"columns": columns, "defaults": defaults}
