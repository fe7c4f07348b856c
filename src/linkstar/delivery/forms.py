"""Forms of the delivery pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linkstar.core.forms import StyledForm
from linkstar.delivery.models import ChannelKind, DeliveryKind, DeliveryState
from linkstar.notifications.kinds import EventKind


class ChannelForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Webhook URL"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The robot's webhook address, or the endpoint of your system."),
    )
    secret = forms.CharField(
        label=_("Secret"),
        max_length=500,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "DingTalk and Feishu signing secret (加签), or the key the webhook is signed with."
        ),
    )
    project = forms.TypedChoiceField(
        label=_("Project"), required=False, coerce=int, empty_value=None
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: a chat channel takes every event."),
    )
    keywords = forms.CharField(
        label=_("Security keywords"),
        max_length=300,
        required=False,
        help_text=_(
            "The robot's custom keywords (自定义关键词), separated by commas: every message "
            "will contain them."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, projects=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", _("Every project")), *projects]
        self.fields["events"].widget.attrs["class"] = "form-check-input"
        if editing:
            self.fields["kind"].disabled = True
            self.fields["url"].help_text = _("Leave empty to keep the current URL.")
            self.fields["secret"].help_text = _("Leave empty to keep the current secret.")
        else:
            self.fields["url"].required = True


class ChatHandleForm(StyledForm):
    small = True
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    wecom_user_id = forms.CharField(label=_("WeCom user ID"), max_length=100, required=False)
    dingtalk_user_id = forms.CharField(label=_("DingTalk user ID"), max_length=100, required=False)
    feishu_user_id = forms.CharField(
        label=_("Feishu user ID (open_id)"), max_length=100, required=False
    )

    def __init__(self, *args, form_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = str(field.label)
            if form_id:  # the inputs sit in table cells, the form in the last one
                field.widget.attrs["form"] = form_id


class DeliveryFilterForm(StyledForm):
    small = True
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any")), *DeliveryState.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *DeliveryKind.choices]
    )

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Any")), *channels]
