"""Sign in and out, the start page, and the organization settings pages (members, API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from linkstar.accounts import security_views, selectors, services, throttle, twofactor
from linkstar.accounts.forms import (
    AddMemberForm,
    ChangeRoleForm,
    OrgTokenForm,
    TokenForm,
)
from linkstar.accounts.models import ApiToken, Role
from linkstar.accounts.selectors import memberships_of
from linkstar.accounts.web import web_actor
from linkstar.core import clock, policy
from linkstar.core.exceptions import Conflict, InvalidInput
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time, show_once, take_once
from linkstar.entities.selectors import visible_entities
from linkstar.projects import visibility


class LoginView(auth_views.LoginView):
    """Django's sign-in form, behind the failed sign-in counters (``accounts/throttle.py``):
    a paused account or address is answered 429 with the reason, before any password check."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        # a signed-in administrator whom an organization requires to set up two-factor sign-in
        # lands here (``web.TwoFactorEnrolmentRequired``): on to the setup
        if request.user.is_authenticated and twofactor.must_enrol(request.user):
            return redirect("account_security")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        """The password was right. With two-factor sign-in, the session is not signed in yet:
        the second step (``login_verify``) asks for the code."""
        user = form.get_user()
        if twofactor.has_two_factor(user):
            self.request.session[security_views.PENDING_SIGN_IN] = {
                "user_id": user.pk,
                "backend": user.backend,
                "since": clock.now().timestamp(),
                "next": self.get_success_url(),
            }
            return redirect("login_verify")
        response = super().form_valid(form)
        if twofactor.must_enrol(user):
            return redirect("account_security")
        return response

    def post(self, request, *args, **kwargs):
        email = request.POST.get("username", "")
        try:
            throttle.guard(request, email, request.POST.get("password", ""))
        except throttle.TooManyAttempts as exc:
            context = self.get_context_data(form=self.get_form_class()(request), paused=exc.detail)
            return self.render_to_response(context, status=429)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the sign-in failed
            throttle.failed(request, email)
        return response


@login_required
def home(request):
    """Straight to the workbench of the user's (first) organization."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("workbench", memberships[0].organization.slug)
    return render(request, "accounts/choose_org.html", {"choices": memberships})


# --- helpers shared by the settings, entity and audit pages ------------------------------------


def entity_choices(actor) -> list[tuple[int, str]]:
    return [(e.pk, e.name) for e in visible_entities(actor).only("pk", "name")]


# --- members -----------------------------------------------------------------------------------


def org_members(request, org: str):
    """Everyone sees the members and their roles; administrators add, re-role and remove."""
    actor = web_actor(request, org)
    can_manage = policy.can(actor, "member.manage")
    entities = entity_choices(actor) if can_manage else []
    form = AddMemberForm(entities=entities)
    if request.method == "POST":
        policy.require(actor, "member.manage")
        form = AddMemberForm(request.POST, entities=entities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.add_member(
                    actor=actor,
                    email=data["email"],
                    role=data["role"],
                    name=data["name"],
                    password=data["password"] or None,
                    entity_id=data["entity"] if data["role"] == Role.CLIENT else None,
                )
            except InvalidInput as exc:
                apply_errors(form, exc, {"entity_id": "entity"})
            except Conflict as exc:
                form.add_error("email", exc.detail)
            else:
                messages.success(
                    request,
                    _("%(email)s is now a member (%(role)s).")
                    % {"email": membership.user.email, "role": membership.get_role_display()},
                )
                return redirect("org_members", org)
    members = list(visibility.visible_members(actor).select_related("entity"))
    rows = [
        (
            m,
            ChangeRoleForm(
                initial={"role": m.role, "entity": m.entity_id},
                entities=entities,
                prefix=f"m{m.user_id}",
            )
            if can_manage
            else None,
        )
        for m in members
    ]
    return render_in_org_time(
        request,
        actor,
        "accounts/members.html",
        {"rows": rows, "form": form, "can_manage": can_manage, "tab": "members"},
        status=422 if form.errors else 200,
    )


def member_role(request, org: str, user_id: int):
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    policy.require(actor, "member.manage")
    form = ChangeRoleForm(request.POST, entities=entity_choices(actor), prefix=f"m{user_id}")
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("org_members", org)
    role, entity_id = form.cleaned_data["role"], form.cleaned_data["entity"]
    membership = services.change_member_role(
        actor=actor,
        user_id=user_id,
        role=role,
        entity_id=entity_id if role == Role.CLIENT else None,
    )
    messages.success(
        request,
        _("%(email)s is now %(role)s.")
        % {"email": membership.user.email, "role": membership.get_role_display()},
    )
    return redirect("org_members", org)


def member_remove(request, org: str, user_id: int):
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.remove_member(actor=actor, user_id=user_id)
    if user_id == actor.user_id:
        return redirect("home")
    messages.success(request, _("The member was removed from the organization."))
    return redirect("org_members", org)


# --- API tokens --------------------------------------------------------------------------------


def api_tokens(request, org: str):
    """My tokens; for administrators also the organization's tokens and the members' tokens. A
    new token's value is shown once, on the page the form redirects to."""
    actor = web_actor(request, org)
    can_manage_org_tokens = policy.can(actor, "token.org_manage")
    form = TokenForm()
    org_form = OrgTokenForm(prefix="org") if can_manage_org_tokens else None
    created = None
    if request.method == "POST":
        kind = request.POST.get("kind", "personal")
        if kind == "organization":
            policy.require(actor, "token.org_manage")
            org_form = OrgTokenForm(request.POST, prefix="org")
            bound = org_form
        else:
            form = TokenForm(request.POST)
            bound = form
        if bound.is_valid():
            data = bound.cleaned_data
            try:
                if kind == "organization":
                    token, raw = services.create_org_token(
                        actor=actor,
                        name=data["name"],
                        role=data["role"],
                        scope=data["scope"],
                        expires_at=data["expires_on"],
                    )
                else:
                    token, raw = services.create_api_token(
                        actor=actor,
                        name=data["name"],
                        scope=data["scope"],
                        expires_at=data["expires_on"],
                    )
            except InvalidInput as exc:
                apply_errors(bound, exc, {"expires_at": "expires_on"})
            else:
                # Shown once, by the page the redirect lands on: a reload posts nothing again.
                show_once(request, "api_token", {"token_id": token.pk, "raw": raw})
                return redirect("api_tokens", org)
    else:
        kept = take_once(request, "api_token")
        if kept:
            token = ApiToken.objects.filter(pk=kept["token_id"]).first()
            created = {"token": token, "raw": kept["raw"]} if token is not None else None
    has_errors = bool(form.errors or (org_form is not None and org_form.errors))
    org_tokens, member_tokens = selectors.admin_token_lists(actor=actor)
    if not can_manage_org_tokens:
        org_tokens = []
    role_labels = dict(Role.choices)
    for t in org_tokens:
        t.role_label = role_labels.get(t.role, t.role or "")
    response = render_in_org_time(
        request,
        actor,
        "accounts/tokens.html",
        {
            "form": form,
            "org_form": org_form,
            "created": created,
            "tokens": selectors.token_list(actor=actor),
            "org_tokens": org_tokens,
            "member_tokens": member_tokens,
            "now": clock.now(),
            "tab": "tokens",
        },
        status=422 if has_errors else 200,
    )
    if created:
        response["Cache-Control"] = "no-store"
    return response


def token_revoke(request, org: str, token_id: int):
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token = services.revoke_api_token(actor=actor, token_id=token_id)
    messages.success(request, _("The token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("api_tokens", org)


# --- erasure of a person's personal data (PIPL / GDPR) -------------------------------------------


def member_erase(request, org: str, user_id: int):
    """The members page's "Erase personal data" (administrators; confirmed in the browser)."""
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.erase_person(actor=actor, user_id=user_id)
    messages.success(request, _("The person's personal data was erased."))
    return redirect("org_members", org)
