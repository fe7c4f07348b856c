"""What every form of the pages shares: Bootstrap classes on the widgets, and a service's
``InvalidInput`` shown on the fields it names."""

from __future__ import annotations

from django import forms

from linkstar.core.exceptions import InvalidInput


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on a field with an error."""

    small = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select" + (" form-select-sm" if self.small else "")
            else:
                css = "form-control" + (" form-control-sm" if self.small else "")
            widget.attrs.setdefault("class", css)

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


def apply_errors(
    form: forms.Form, exc: InvalidInput, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's field errors on the form's fields (unknown fields: on the form itself)."""
    aliases = aliases or {}
    for error in exc.errors:
        name = aliases.get(error.field, error.field)
        form.add_error(name if name in form.fields else None, str(error.message))
