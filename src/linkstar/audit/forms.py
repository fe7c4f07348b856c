"""The audit log's filter form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.audit.labels import ACTION_GROUPS, ACTION_LABELS, OBJECT_TYPE_LABELS, action_label
from linkstar.core.forms import StyledForm


class AuditFilterForm(StyledForm):
    small = True

    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.TypedChoiceField(label=_("Actor"), required=False, coerce=int, empty_value=None)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object ID"), required=False, max_length=64)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, members=(), actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        known = sorted(set(ACTION_LABELS) | set(actions))
        self.fields["action"].choices = [
            ("", _("All actions")),
            (_("Groups"), list(ACTION_GROUPS.items())),
            (_("Actions"), [(a, action_label(a)) for a in known]),
        ]
        self.fields["actor"].choices = [("", _("Everyone")), *members]
        self.fields["object_type"].choices = [("", _("All objects")), *OBJECT_TYPE_LABELS.items()]

    def filters(self) -> dict:
        # A bad value in one field drops that filter only, not the others.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "action": data.get("action") or None,
            "actor_id": data.get("actor"),
            "object_type": data.get("object_type") or None,
            "object_id": (data.get("object_id") or "").strip() or None,
            "since": data.get("since"),
            "until": data.get("until"),
        }
