"""Platform mail pages: the project's Mail tab (its context, rendered by the project page), the
organization's mail page (all messages, unmatched ones to assign, .eml upload), one message,
and the mail settings (IMAP accounts, project addresses, keyword rules). Thin: services and
selectors decide."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.accounts.web import web_actor
from linkstar.catalog.models import Platform
from linkstar.core import policy
from linkstar.core.exceptions import FieldError, InvalidInput, NotFound
from linkstar.core.web import error_text, render_in_org_time
from linkstar.platformmail import imap, rules, selectors, services
from linkstar.platformmail.models import (
    KeywordRule,
    ParseStatus,
    ProposalStatus,
    Security,
    Source,
)
from linkstar.platformmail.storage import read_raw
from linkstar.projects import visibility
from linkstar.projects.models import Stage

PAGE_SIZE = 50

# The sandboxed frame a message body is shown in: no scripts, no plugins, no remote loads.
FRAME_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _stage_label(value: str) -> str:
    try:
        return str(Stage(value).label)
    except ValueError:
        return value


def decorate_proposals(proposals) -> None:
    for p in proposals:
        p.from_label = _stage_label(p.from_stage)
        p.stage_label = _stage_label(p.stage)


def decorate_signal(message) -> None:
    message.signal_label = _stage_label(message.signal_stage) if message.signal_stage else ""


def results_by_note(platform) -> str:
    """The sentence that tells where ``platform`` mostly announces registration results, when
    that is not mail ("" otherwise)."""
    if platform is None:
        return ""
    how = rules.results_by(platform.code)
    name = platform.display_name
    if how == "sms":
        return _(
            "%(p)s tells registration results mostly by SMS: check the registration phone too, its mail may not say."
        ) % {"p": name}
    if how == "seller_centre":
        return _(
            "%(p)s tells registration results mostly in its seller centre: check the seller centre too, its mail may not say."
        ) % {"p": name}
    if how == "sms_and_seller_centre":
        return _(
            "%(p)s tells registration results mostly by SMS and in its seller centre: check both, its mail may not say."
        ) % {"p": name}
    return ""


def frame_document(message) -> str:
    """The HTML document a message body is shown as (``srcdoc`` of a sandboxed iframe)."""

    body = message.html_body or f"<pre>{escape(message.text_body)}</pre>"
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{FRAME_CSP}">'
        "<style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#212529;"
        "word-wrap:break-word}pre{white-space:pre-wrap}img{max-width:100%}</style>"
        f"</head><body>{body}</body></html>"
    )


# --- the project's Mail tab ------------------------------------------------------------------


def project_mail_context(actor, project) -> dict:
    """What the project page's Mail tab shows: the timeline, pending proposals, the address.
    A fixed number of queries whatever the number of messages."""
    timeline = selectors.project_messages(actor=actor, project=project)
    pending = []
    for message in timeline:
        message.frame = frame_document(message)
        decorate_signal(message)
        proposals = list(message.proposals.all())
        decorate_proposals(proposals)
        message.proposal_list = proposals
        pending += [p for p in proposals if p.status == ProposalStatus.PENDING]
    mailbox = selectors.project_mailboxes(actor=actor).filter(project_id=project.pk).first()
    return {
        "mail_messages": timeline,
        "mail_pending": pending,
        "mail_address": mailbox.address if mailbox else "",
        "mail_results_by": results_by_note(project.site.platform),
        "can_decide_mail": project.status == "active"
        and policy.can(actor, "mail.proposal.decide", project),
        "can_set_mail_address": policy.can(actor, "mail.address", project),
    }


@require_POST
def project_mail_address(request, org: str, project_id: int):
    actor = web_actor(request, org)
    project = policy.get_visible(visibility.visible_projects(actor), pk=project_id)
    services.set_project_mailbox(
        actor=actor, project=project, address=request.POST.get("address", "")
    )
    messages.success(request, _("The registration mailbox is saved."))
    url = reverse("project_detail", args=[org, project.pk]) + "?tab=mail"
    return HttpResponseRedirect(_back(request, url))


# --- stage proposals -------------------------------------------------------------------------


@require_POST
def proposal_accept(request, org: str, proposal_id: int):
    actor = web_actor(request, org)
    proposal = selectors.proposal_get(actor=actor, proposal_id=proposal_id)
    services.accept_proposal(actor=actor, proposal=proposal, note=request.POST.get("note", ""))
    messages.success(request, _("The stage is now %(s)s.") % {"s": _stage_label(proposal.stage)})
    url = reverse("project_detail", args=[org, proposal.project_id]) + "?tab=mail"
    return HttpResponseRedirect(_back(request, url))


@require_POST
def proposal_dismiss(request, org: str, proposal_id: int):
    actor = web_actor(request, org)
    proposal = selectors.proposal_get(actor=actor, proposal_id=proposal_id)
    services.dismiss_proposal(actor=actor, proposal=proposal, reason=request.POST.get("reason", ""))
    messages.success(request, _("The proposal is dismissed."))
    url = reverse("project_detail", args=[org, proposal.project_id]) + "?tab=mail"
    return HttpResponseRedirect(_back(request, url))


# --- the organization's mail page ------------------------------------------------------------


def _assignable_projects(actor) -> list:
    if not policy.can(actor, "mail.import"):
        return []
    qs = visibility.visible_projects(actor).filter(status="active")
    if not actor.is_admin:
        qs = qs.filter(manager_id=actor.user_id)
    return list(qs.order_by("code").values_list("pk", "code", "store_name"))


def mail_inbox(request, org: str):
    """Every message the member sees; unmatched ones with "assign to project"; upload .eml."""
    actor = web_actor(request, org)
    can_import = policy.can(actor, "mail.import")
    if request.method == "POST":
        policy.require(actor, "mail.import")
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an .eml file to upload."))
        else:
            try:
                outcome = services.ingest_message(
                    organization=actor.organization,
                    raw=upload.read(),
                    source=Source.UPLOAD,
                    actor=actor,
                )
            except InvalidInput as exc:
                messages.error(request, error_text(exc))
            else:
                if not outcome.created:
                    messages.info(request, _("This message was already imported."))
                elif outcome.message.parse_status == ParseStatus.UNPARSABLE:
                    messages.warning(
                        request, _("The file is not a readable mail message; it is kept as such.")
                    )
                else:
                    messages.success(request, _("The message is imported."))
                return redirect("mail_message", org, outcome.message.pk)
        return redirect("mail_inbox", org)
    show = request.GET.get("show", "")
    unmatched = True if show == "unmatched" else None
    may_matter = True if show == "may_matter" else None
    qs = selectors.message_list(actor=actor, unmatched=unmatched, may_matter=may_matter)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for message in rows:
        decorate_signal(message)
    return render_in_org_time(
        request,
        actor,
        "platformmail/inbox.html",
        {
            "page": page,
            "mail_rows": rows,
            "show": show,
            "can_import": can_import,
            "sees_unmatched": selectors.sees_unmatched(actor),
            "projects": _assignable_projects(actor),
            "query": urlencode({"show": show}) if show else "",
        },
    )


def mail_message(request, org: str, mail_id: int):
    actor = web_actor(request, org)
    message = selectors.message_get(actor=actor, message_id=mail_id)
    proposals = list(message.proposals.all())
    decorate_proposals(proposals)
    decorate_signal(message)
    project = message.project
    return render_in_org_time(
        request,
        actor,
        "platformmail/message.html",
        {
            "message": message,
            "frame": frame_document(message),
            "proposals": proposals,
            "results_by": results_by_note(project.site.platform if project else None),
            "projects": _assignable_projects(actor),
            "can_decide_mail": project is not None
            and project.status == "active"
            and policy.can(actor, "mail.proposal.decide", project),
        },
    )


def mail_raw(request, org: str, mail_id: int):
    """The message as received (.eml), for a mail program."""
    actor = web_actor(request, org)
    message = selectors.message_get(actor=actor, message_id=mail_id)
    try:
        raw = read_raw(message)
    except OSError:
        raise NotFound() from None
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def mail_assign(request, org: str, mail_id: int):
    actor = web_actor(request, org)
    message = selectors.message_get(actor=actor, message_id=mail_id)
    try:
        project_id = int(request.POST.get("project_id", ""))
    except ValueError:
        raise InvalidInput(FieldError("project_id", _("Choose a project."))) from None
    project = visibility.visible_projects(actor).filter(pk=project_id).first()
    if project is None:
        raise InvalidInput(FieldError("project_id", _("Choose a project.")))
    services.assign_message(actor=actor, message=message, project=project)
    messages.success(request, _("The message is now on project %(c)s.") % {"c": project.code})
    return HttpResponseRedirect(_back(request, reverse("mail_message", args=[org, mail_id])))


# --- settings --------------------------------------------------------------------------------


def mail_settings(request, org: str):
    """IMAP accounts (with test connection), project mailbox addresses, keyword rules."""
    actor = web_actor(request, org)
    policy.require(actor, "mail.settings.view")
    can_edit = policy.can(actor, "mail.settings")
    errors: dict[str, list[FieldError]] = {}
    if request.method == "POST":
        policy.require(actor, "mail.settings")
        form = request.POST.get("form")
        try:
            if form == "account":
                services.create_mail_account(
                    actor=actor,
                    name=request.POST.get("name", ""),
                    host=request.POST.get("host", ""),
                    port=request.POST.get("port") or 993,
                    security=request.POST.get("security", Security.SSL),
                    username=request.POST.get("username", ""),
                    password=request.POST.get("password", ""),
                    folder=request.POST.get("folder", "") or "INBOX",
                )
                messages.success(request, _("The mail account is added."))
            elif form == "address":
                try:
                    project_id = int(request.POST.get("project_id", ""))
                except ValueError:
                    project_id = None
                project = visibility.visible_projects(actor).filter(pk=project_id).first()
                if project is None:
                    raise InvalidInput(FieldError("project_id", _("Choose a project.")))
                services.set_project_mailbox(
                    actor=actor, project=project, address=request.POST.get("address", "")
                )
                messages.success(request, _("The registration mailbox is saved."))
            elif form == "rule":
                services.create_keyword_rule(
                    actor=actor,
                    platform=request.POST.get("platform", ""),
                    phrase=request.POST.get("phrase", ""),
                    stage=request.POST.get("stage", ""),
                )
                messages.success(request, _("The keyword rule is added."))
            return redirect("mail_settings", org)
        except InvalidInput as exc:
            errors[form or ""] = exc.errors
            messages.error(request, error_text(exc))
    return render_in_org_time(
        request,
        actor,
        "platformmail/settings.html",
        {
            "tab": "platformmail",
            "can_edit": can_edit,
            "accounts": list(selectors.mail_accounts(actor=actor)),
            "mailboxes": list(selectors.project_mailboxes(actor=actor)),
            "rules": list(selectors.keyword_rules(actor=actor)),
            "platforms": list(Platform.objects.order_by("position", "code")),
            "stages": [(s, _stage_label(s)) for s in rules.STAGES],
            "securities": Security.choices,
            "projects": list(
                visibility.visible_projects(actor)
                .filter(status="active")
                .order_by("code")
                .values_list("pk", "code", "store_name")
            ),
            "form_errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=422 if errors else 200,
    )


@require_POST
def mail_account_test(request, org: str, account_id: int):
    actor = web_actor(request, org)
    policy.require(actor, "mail.settings")
    account = selectors.mail_account_get(actor=actor, account_id=account_id)
    check = imap.test_connection(actor=actor, account=account)
    if check.ok:
        messages.success(request, check.detail)
    else:
        messages.error(
            request, _("Could not connect to %(a)s: %(e)s") % {"a": account.name, "e": check.detail}
        )
    return redirect("mail_settings", org)


@require_POST
def mail_account_delete(request, org: str, account_id: int):
    actor = web_actor(request, org)
    policy.require(actor, "mail.settings")
    account = selectors.mail_account_get(actor=actor, account_id=account_id)
    services.delete_mail_account(actor=actor, account=account)
    messages.success(request, _("The mail account is removed."))
    return redirect("mail_settings", org)


@require_POST
def mail_account_toggle(request, org: str, account_id: int):
    actor = web_actor(request, org)
    policy.require(actor, "mail.settings")
    account = selectors.mail_account_get(actor=actor, account_id=account_id)
    services.update_mail_account(actor=actor, account=account, enabled=not account.enabled)
    return redirect("mail_settings", org)


@require_POST
def keyword_rule_delete(request, org: str, rule_id: int):
    actor = web_actor(request, org)
    policy.require(actor, "mail.settings")
    rule = policy.get_visible(
        KeywordRule.objects.filter(organization_id=actor.organization.pk), pk=rule_id
    )
    services.delete_keyword_rule(actor=actor, rule=rule)
    messages.success(request, _("The keyword rule is removed."))
    return redirect("mail_settings", org)
