"""The store credentials of a project: list, add, rotate, revoke, delete (and reveal, through
the shared reveal action)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from linkstar.accounts.web import web_actor
from linkstar.core import policy
from linkstar.core.exceptions import Conflict, InvalidInput, PermissionDenied
from linkstar.core.forms import apply_errors
from linkstar.core.web import render_in_org_time
from linkstar.entities import services
from linkstar.entities.forms import CredentialForm, RotateForm
from linkstar.entities.sensitive import masked
from linkstar.projects.selectors import credentials as credential_selectors


def _page(request, actor, project, *, form=None, rotate=None, status=200):
    credentials = list(credential_selectors.credentials_of(actor, project))
    for credential in credentials:
        credential.project = project
        credential.masked_secret = masked(credential, "secret")
    can_manage = policy.can(actor, "credential.manage", project)
    # Revealing a credential is for admins and the project's manager: one answer for the page.
    can_reveal = bool(credentials) and policy.can(actor, "secret.reveal", credentials[0])
    if can_manage and form is None:
        form = CredentialForm(prefix="new")
    return render_in_org_time(
        request,
        actor,
        "entities/credentials.html",
        {
            "project": project,
            "credentials": credentials,
            "active_count": sum(1 for c in credentials if not c.revoked),
            "can_manage": can_manage,
            "can_reveal": can_reveal,
            "form": form,
            "rotate": rotate,
            "section": "projects",
        },
        status=status,
    )


@sensitive_post_parameters("new-secret", "secret")
def credential_list(request, org: str, project_id: int):
    """Every member who sees the project, clients aside, sees its credentials masked; the
    project's manager and admins add them."""
    actor = web_actor(request, org)
    project = credential_selectors.project_for(actor, project_id)
    policy.require(actor, "credential.view", project)
    if request.method != "POST":
        return _page(request, actor, project)
    form = CredentialForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            credential = services.create_credential(actor=actor, project=project, **form.values())
        except InvalidInput as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, exc.detail)
            return _page(request, actor, project, form=form, status=403)
        else:
            messages.success(
                request, _("Credential “%(label)s” saved.") % {"label": credential.label}
            )
            return redirect("credential_list", org, project.pk)
    return _page(request, actor, project, form=form, status=422)


@sensitive_post_parameters("secret")
def credential_rotate(request, org: str, project_id: int, credential_id: int):
    """Rotate = record the new secret (after changing it on the platform)."""
    actor = web_actor(request, org)
    credential = credential_selectors.credential_for(actor, project_id, credential_id)
    project = credential.project
    policy.require(actor, "credential.manage", project)
    form = RotateForm(request.POST or None, initial={"version": credential.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_credential(
                actor=actor,
                credential=credential,
                version=form.cleaned_data["version"],
                secret=form.cleaned_data["secret"],
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.detail)
            status = 409
        else:
            messages.success(
                request, _("Credential “%(label)s” rotated.") % {"label": credential.label}
            )
            return redirect("credential_list", org, project.pk)
    if form.errors and status == 200:
        status = 422
    credential.masked_secret = masked(credential, "secret")
    return render_in_org_time(
        request,
        actor,
        "entities/credential_rotate.html",
        {"project": project, "credential": credential, "form": form, "section": "projects"},
        status=status,
    )


def credential_revoke(request, org: str, project_id: int, credential_id: int):
    actor = web_actor(request, org)
    credential = credential_selectors.credential_for(actor, project_id, credential_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.revoke_credential(actor=actor, credential=credential)
    messages.success(
        request,
        _("Credential “%(label)s” revoked; its secret was erased.") % {"label": credential.label},
    )
    return redirect("credential_list", org, project_id)


def credential_delete(request, org: str, project_id: int, credential_id: int):
    actor = web_actor(request, org)
    credential = credential_selectors.credential_for(actor, project_id, credential_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.delete_credential(actor=actor, credential=credential)
    messages.success(request, _("Deleted."))
    return redirect("credential_list", org, project_id)
