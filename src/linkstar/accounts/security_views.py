"""One's own sign-in: changing the password, two-factor sign-in (set up, recovery codes, turn
off), the second step of signing in; and the organization's rule that administrators use it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from linkstar.accounts import services, throttle, twofactor
from linkstar.accounts.forms import OtpCodeForm, PasswordChangeForm, ReauthenticateForm
from linkstar.accounts.models import User
from linkstar.accounts.web import web_actor
from linkstar.core import clock
from linkstar.core.actors import client_ip
from linkstar.core.exceptions import Conflict, InvalidInput
from linkstar.core.forms import apply_errors
from linkstar.core.web import show_once, take_once

# The session key of a sign-in whose password was right and whose code is awaited.
PENDING_SIGN_IN = "two_factor_pending"


# --- the second step of signing in -------------------------------------------------------------


def _pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_SIGN_IN) or {}
    since = pending.get("since")
    if not pending or since is None:
        return None, {}
    if clock.now().timestamp() - since > request_timeout():
        request.session.pop(PENDING_SIGN_IN, None)
        return None, {}
    user = User.objects.filter(pk=pending.get("user_id"), is_active=True).first()
    return user, pending


def request_timeout() -> int:
    return settings.LINKSTAR_TWO_FACTOR_LOGIN_SECONDS


@sensitive_post_parameters("code")
@never_cache
def login_verify(request):
    """After the password: a code of the authenticator or a recovery code. Wrong codes count
    as failed sign-ins of the account (``throttle``): past the limit, 429 for a while."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again: the time for the code ran out."))
        return redirect("login")
    form = OtpCodeForm()
    if request.method == "POST":
        form = OtpCodeForm(request.POST)
        try:
            throttle.guard(request, user.email, "")
        except throttle.TooManyAttempts as exc:
            return render(
                request,
                "registration/login_verify.html",
                {"form": form, "paused": exc.detail},
                status=429,
            )
        if form.is_valid() and twofactor.verify_second_factor(
            user=user, code=form.cleaned_data["code"], ip=client_ip(request), via="web"
        ):
            request.session.pop(PENDING_SIGN_IN, None)
            auth_login(request, user, backend=pending.get("backend"))
            return redirect(pending.get("next") or "home")
        throttle.failed(request, user.email)
        form.add_error("code", _("This code is not right."))
        return render(request, "registration/login_verify.html", {"form": form}, status=422)
    return render(request, "registration/login_verify.html", {"form": form})


# --- the password ------------------------------------------------------------------------------


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@login_required
def password_change(request):
    """Change one's own password; the session stays signed in, other sessions end (Django
    keys them to the password hash)."""
    form = PasswordChangeForm()
    status = 200
    if request.method == "POST":
        form = PasswordChangeForm(request.POST)
        user = request.user
        try:
            throttle.guard(request, user.email, request.POST.get("current_password", ""))
        except throttle.TooManyAttempts as exc:
            form.is_valid()
            form.add_error(None, exc.detail)
            return render(request, "accounts/password_change.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.change_own_password(
                    user=user,
                    current_password=data["current_password"],
                    new_password=data["new_password"],
                    ip=client_ip(request),
                )
            except InvalidInput as exc:
                if exc.code == "wrong_password":
                    throttle.failed(request, user.email)
                apply_errors(form, exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password was changed."))
                return redirect("password_change")
        status = 422
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


# --- two-factor sign-in ------------------------------------------------------------------------


@sensitive_post_parameters("code", "password")
@never_cache
@login_required
def security(request):
    """Set up two-factor sign-in (QR code and the secret as text, confirmed with a code), see
    how many recovery codes are left and replace them, or turn it off (a code or the
    password). New recovery codes are shown once, on the page the form redirects to."""
    user = request.user
    code_form = OtpCodeForm()
    reauth_form = ReauthenticateForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        ip = client_ip(request)
        try:
            if action != "start":
                throttle.guard(request, user.email, request.POST.get("password", ""))
            if action == "start":
                twofactor.start_enrolment(user=user)
                return redirect("account_security")
            if action == "confirm":
                code_form = OtpCodeForm(request.POST)
                if code_form.is_valid():
                    codes = twofactor.confirm_enrolment(
                        user=user, code=code_form.cleaned_data["code"], ip=ip
                    )
                    show_once(request, "recovery_codes", codes)
                    messages.success(request, _("Two-factor sign-in is on."))
                    return redirect("account_security")
            elif action in {"regenerate", "disable"}:
                reauth_form = ReauthenticateForm(request.POST)
                if reauth_form.is_valid():
                    data = reauth_form.cleaned_data
                    if action == "regenerate":
                        codes = twofactor.regenerate_recovery_codes(
                            user=user, code=data["code"], password=data["password"], ip=ip
                        )
                        show_once(request, "recovery_codes", codes)
                        messages.success(
                            request, _("New recovery codes; the old ones no longer work.")
                        )
                    else:
                        twofactor.disable(
                            user=user, code=data["code"], password=data["password"], ip=ip
                        )
                        messages.success(request, _("Two-factor sign-in is off."))
                    return redirect("account_security")
            else:
                return HttpResponseNotAllowed(["GET"])
        except InvalidInput as exc:
            throttle.failed(request, user.email)
            apply_errors(code_form if action == "confirm" else reauth_form, exc)
        except (Conflict, throttle.TooManyAttempts) as exc:
            messages.error(request, exc.detail)
            return redirect("account_security")
        status = 422
    device = twofactor.confirmed(user)
    pending = None if device else twofactor.pending(user)
    context = {
        "device": device,
        "pending": pending,
        "qr": mark_safe(twofactor.qr_svg(twofactor.provisioning_uri(pending))) if pending else "",
        "secret": twofactor.grouped_secret(pending.secret) if pending else "",
        "codes": take_once(request, "recovery_codes") if request.method == "GET" else None,
        "codes_left": twofactor.recovery_codes_left(user) if device else 0,
        "required_by": twofactor.required_by(user) if device is None else [],
        "code_form": code_form,
        "reauth_form": reauth_form,
    }
    response = render(request, "accounts/security.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def org_two_factor(request, org: str):
    """An administrator requires (or no longer requires) two-factor sign-in of the
    organization's administrators."""
    actor = web_actor(request, org)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    required = request.POST.get("required") in {"1", "on", "true"}
    twofactor.set_admin_requirement(actor=actor, required=required)
    if required:
        messages.success(request, _("Administrators now sign in with two-factor sign-in."))
    else:
        messages.success(request, _("Two-factor sign-in is no longer required of administrators."))
    return redirect("org_members", org)
