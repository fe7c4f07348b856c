"""Settings pages of the delivery app: channels, members' chat IDs, the delivery log.

Thin: they parse forms and call the same services and selectors as the API. Channels and the
log are for administrators (others get a 403 page that says why); everyone may edit their own
chat IDs.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import InvalidInput
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time
from linkstar.delivery import selectors, services
from linkstar.delivery.forms import ChannelForm, ChatHandleForm, DeliveryFilterForm
from linkstar.delivery.models import Channel, DeliveryState
from linkstar.projects import visibility

PAGE_SIZE = 50


def _project_choices(actor) -> list[tuple[int, str]]:
    return [
        (p.pk, f"{p.code} {p.store_name}")
        for p in visibility.visible_projects(actor)
        .only("pk", "code", "store_name")
        .order_by("code")
    ]


def _save_form(actor, form: ChannelForm, channel: Channel | None):
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "url": data["url"],
        "secret": data["secret"],
        "events": data["events"],
        "keywords": data["keywords"],
        "project_id": data["project"],
        "enabled": data["enabled"],
    }
    if channel is None:
        return services.create_channel(actor=actor, kind=data["kind"], **fields)
    return services.update_channel(actor=actor, channel=channel, **fields)


_ALIASES = {"project_id": "project"}


def channel_list(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "channel.manage")
    projects = _project_choices(actor)
    form = ChannelForm(projects=projects)
    if request.method == "POST":
        form = ChannelForm(request.POST, projects=projects)
        if form.is_valid():
            try:
                channel = _save_form(actor, form, None)
            except InvalidInput as exc:
                apply_errors(form, exc, _ALIASES)
            else:
                messages.success(request, _("Channel “%(name)s” added.") % {"name": channel.name})
                return redirect("delivery_channels", org)
    channels = list(selectors.channel_list(actor=actor))
    return render_in_org_time(
        request,
        actor,
        "delivery/channels.html",
        {"channels": channels, "form": form, "tab": "channels"},
        status=422 if form.errors else 200,
    )


def channel_edit(request, org: str, channel_id: int):
    actor = web_actor(request, org)
    policy.require(actor, "channel.manage")
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    projects = _project_choices(actor)
    initial = {
        "kind": channel.kind,
        "name": channel.name,
        "project": channel.project_id,
        "events": channel.events,
        "keywords": ", ".join(channel.keywords),
        "enabled": channel.enabled,
    }
    form = ChannelForm(initial=initial, projects=projects, editing=True)
    if request.method == "POST":
        form = ChannelForm(request.POST, initial=initial, projects=projects, editing=True)
        if form.is_valid():
            try:
                _save_form(actor, form, channel)
            except InvalidInput as exc:
                apply_errors(form, exc, _ALIASES)
            else:
                messages.success(request, _("Channel “%(name)s” saved.") % {"name": channel.name})
                return redirect("delivery_channels", org)
    return render_in_org_time(
        request,
        actor,
        "delivery/channel_edit.html",
        {"channel": channel, "form": form, "tab": "channels"},
        status=422 if form.errors else 200,
    )


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def channel_toggle(request, org: str, channel_id: int):
    actor = web_actor(request, org)
    if (refused := _post_only(request)) is not None:
        return refused
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    channel = services.update_channel(actor=actor, channel=channel, enabled=not channel.enabled)
    text = (
        _("Channel “%(name)s” enabled.") if channel.enabled else _("Channel “%(name)s” disabled.")
    )
    messages.success(request, text % {"name": channel.name})
    return redirect("delivery_channels", org)


def channel_delete(request, org: str, channel_id: int):
    actor = web_actor(request, org)
    if (refused := _post_only(request)) is not None:
        return refused
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    name = channel.name
    services.delete_channel(actor=actor, channel=channel)
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": name})
    return redirect("delivery_channels", org)


def channel_test(request, org: str, channel_id: int):
    """Send a test message now and say what the other side answered."""
    actor = web_actor(request, org)
    if (refused := _post_only(request)) is not None:
        return refused
    channel = selectors.channel_get(actor=actor, channel_id=channel_id)
    delivery = services.send_test_message(actor=actor, channel=channel)
    attempt = delivery.attempt_log.order_by("-pk").first()
    facts = {
        "name": channel.name,
        "status": (attempt.status_code if attempt else None) or "—",
        "ms": attempt.duration_ms if attempt else 0,
    }
    if delivery.state == DeliveryState.SENT:
        messages.success(
            request,
            _("Test message sent on “%(name)s” (HTTP %(status)s, %(ms)s ms).") % facts,
        )
    else:
        messages.error(
            request,
            _("The test message on “%(name)s” failed (HTTP %(status)s, %(ms)s ms): %(error)s")
            % {**facts, "error": delivery.last_error},
        )
    return redirect("delivery_channels", org)


def chat_ids(request, org: str):
    """Members' IDs for @mentions: an administrator sees and edits everyone's, others their own."""
    actor = web_actor(request, org)
    rows = [
        (
            membership,
            handle,
            ChatHandleForm(
                prefix=f"u{membership.user_id}",
                form_id=f"chat-form-{membership.user_id}",
                initial={
                    "mobile": handle.mobile if handle else "",
                    "wecom_user_id": handle.wecom_user_id if handle else "",
                    "dingtalk_user_id": handle.dingtalk_user_id if handle else "",
                    "feishu_user_id": handle.feishu_user_id if handle else "",
                },
            ),
        )
        for membership, handle in selectors.chat_handles(actor=actor)
    ]
    return render_in_org_time(
        request, actor, "delivery/chat_ids.html", {"rows": rows, "tab": "chat_ids"}
    )


def chat_id_save(request, org: str, user_id: int):
    actor = web_actor(request, org)
    if (refused := _post_only(request)) is not None:
        return refused
    form = ChatHandleForm(request.POST, prefix=f"u{user_id}")
    if not form.is_valid():
        messages.error(request, _("Check the chat IDs: %(errors)s") % {"errors": form.errors})
        return redirect("delivery_chat_ids", org)
    try:
        services.set_chat_handle(actor=actor, user_id=user_id, **form.cleaned_data)
    except InvalidInput as exc:
        messages.error(request, "; ".join(f"{e.field}: {e.message}" for e in exc.errors))
    else:
        messages.success(request, _("Chat IDs saved."))
    return redirect("delivery_chat_ids", org)


def delivery_log(request, org: str):
    actor = web_actor(request, org)
    policy.require(actor, "delivery.view")
    channels = [(c.pk, c.name) for c in Channel.objects.filter(organization=actor.organization)]
    form = DeliveryFilterForm(request.GET or None, channels=channels)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.delivery_list(
        actor=actor,
        channel=filters.get("channel"),
        state=filters.get("state") or None,
        kind=filters.get("kind") or None,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return render_in_org_time(
        request,
        actor,
        "delivery/log.html",
        {
            "page": page,
            "deliveries": list(page.object_list),
            "form": form,
            "query": query,
            "tab": "deliveries",
            "retryable": {DeliveryState.FAILED, DeliveryState.DEAD, DeliveryState.PENDING},
        },
    )


def delivery_retry(request, org: str, delivery_id: int):
    actor = web_actor(request, org)
    if (refused := _post_only(request)) is not None:
        return refused
    delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    delivery = services.retry_delivery(actor=actor, delivery=delivery)
    if delivery.state == DeliveryState.SENT:
        messages.success(request, _("Delivery #%(id)s sent.") % {"id": delivery.pk})
    else:
        messages.error(
            request,
            _("Delivery #%(id)s failed again: %(error)s")
            % {"id": delivery.pk, "error": delivery.last_error},
        )
    back = request.POST.get("next") or ""
    if back.startswith(f"/o/{org}/"):
        return redirect(back)
    return redirect("delivery_log", org)
