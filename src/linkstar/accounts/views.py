"""Sign in and out, the start page, and the organization settings pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from linkstar.accounts.selectors import memberships_of
from linkstar.core.web import web_actor


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def home(request):
    """Straight to the workbench of the user's (first) organization."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("workbench", memberships[0].organization.slug)
    return render(request, "accounts/choose_org.html", {"choices": memberships})


def org_members(request, org: str):
    actor = web_actor(request, org)
    return render(request, "accounts/members.html", {"actor": actor})
