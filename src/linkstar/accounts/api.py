from __future__ import annotations

from ninja import Query, Router, Status

from linkstar.accounts import selectors, services, throttle
from linkstar.accounts.people import member_email
from linkstar.accounts.schemas import (
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenList,
    MemberIn,
    MemberList,
    MemberOut,
    MemberPatch,
    MeOut,
    OrgApiTokenIn,
    OrgList,
    TokenIn,
    TokenOut,
)
from linkstar.accounts.web import actor_for
from linkstar.core import policy
from linkstar.core.actors import client_ip
from linkstar.core.api import ERRORS, Paging, page
from linkstar.projects import visibility

router = Router(tags=["auth and organizations"])


def member_out(m, viewer=None) -> dict:
    return {
        "user_id": m.user_id,
        "email": member_email(m, viewer),
        "name": m.user.name,
        "role": m.role,
        "is_owner": m.is_owner,
        "entity_id": m.entity_id,
    }


@router.post("/auth/token", auth=None, response={201: TokenOut, **ERRORS})
def create_token(request, payload: TokenIn):
    """Exchange email and password for an API token (shown once; stored hashed). An account
    with two-factor sign-in also sends ``otp`` (401 ``otp_required`` without it, 401
    ``invalid_otp`` when wrong). Failed attempts (a wrong password or code) are counted per
    account and per address: past the limit, 429 ``too_many_attempts`` for a while, before any
    password is checked."""
    throttle.guard(request, payload.email, payload.password)
    try:
        token = services.token_for_credentials(
            email=payload.email,
            password=payload.password,
            name=payload.name or "",
            otp=payload.otp,
            ip=client_ip(request),
        )
    except services.SecondFactorRequired:
        raise  # the password was right: asking for the code is not a failed attempt
    except services.AuthenticationFailed:
        throttle.failed(request, payload.email)
        raise
    return Status(201, {"token": token})


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request):
    user = request.auth
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "memberships": [
            {"org": m.organization.slug, "role": m.role} for m in selectors.memberships_of(user)
        ],
    }


@router.get("/orgs", response={200: OrgList, **ERRORS})
def orgs(request, paging: Query[Paging]):
    return page(
        list(selectors.memberships_of(request.auth)),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ms: [
            {"slug": m.organization.slug, "name": m.organization.name, "role": m.role} for m in ms
        ],
    )


@router.get("/orgs/{org}/members", response={200: MemberList, **ERRORS})
def members(request, org: str, paging: Query[Paging]):
    actor = actor_for(request, org)
    return page(
        visibility.visible_members(actor),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ms: [member_out(m, actor) for m in ms],
    )


@router.post("/orgs/{org}/members", response={201: MemberOut, **ERRORS})
def add_member(request, org: str, payload: MemberIn):
    """Admins only. A new email creates the user, with the given password."""
    actor = actor_for(request, org)
    membership = services.add_member(
        actor=actor,
        email=payload.email,
        role=payload.role,
        name=payload.name or "",
        password=payload.password,
        entity_id=payload.entity_id,
    )
    return Status(201, member_out(membership))


@router.patch("/orgs/{org}/members/{user_id}", response={200: MemberOut, **ERRORS})
def change_member(request, org: str, user_id: int, payload: MemberPatch):
    actor = actor_for(request, org)
    membership = services.change_member_role(
        actor=actor, user_id=user_id, role=payload.role, entity_id=payload.entity_id
    )
    return member_out(membership)


@router.delete("/orgs/{org}/members/{user_id}", response={204: None, **ERRORS})
def remove_member(request, org: str, user_id: int):
    actor = actor_for(request, org)
    services.remove_member(actor=actor, user_id=user_id)
    return Status(204, None)


# --- API tokens (personal and organization) ------------------------------------------------------


def token_out(token, *, role: str | None = None, raw: str | None = None) -> dict:
    data = {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "kind": "organization" if token.organization_id else "personal",
        "role": role if token.organization_id else None,
        "acts_as": token.user.email,
        "created_at": token.created_at,
        "created_by": token.created_by.email if token.created_by_id else None,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "active": token.is_usable(),
    }
    if raw is not None:
        data["token"] = raw
    return data


@router.get("/me/tokens", response={200: ApiTokenList, **ERRORS})
def my_tokens(request, paging: Query[Paging]):
    """My personal tokens (revoked ones included), newest first."""
    tokens = selectors.personal_token_list(user=request.auth).select_related("user", "created_by")
    return page(
        tokens,
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ts: [token_out(t) for t in ts],
    )


@router.post("/me/tokens", response={201: ApiTokenCreated, **ERRORS})
def create_my_token(request, payload: ApiTokenIn):
    """A personal token acting as me (my roles in each organization); the raw value is in this
    answer only. Audited in each of my organizations."""
    token, raw = services.create_personal_token(
        user=request.auth,
        name=payload.name,
        scope=payload.scope,
        expires_at=payload.expires_on,
        ip=client_ip(request),
    )
    return Status(201, token_out(token, raw=raw))


@router.delete("/me/tokens/{token_id}", response={204: None, **ERRORS})
def revoke_my_token(request, token_id: int):
    services.revoke_personal_token(user=request.auth, token_id=token_id, ip=client_ip(request))
    return Status(204, None)


@router.get("/orgs/{org}/tokens", response={200: ApiTokenList, **ERRORS})
def org_tokens(request, org: str, paging: Query[Paging]):
    """The organization's tokens (admins)."""
    actor = actor_for(request, org)
    policy.require(actor, "token.org_manage")
    return page(
        selectors.org_token_list(actor=actor),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ts: [token_out(t, role=t.role) for t in ts],
    )


@router.post("/orgs/{org}/tokens", response={201: ApiTokenCreated, **ERRORS})
def create_org_token(request, org: str, payload: OrgApiTokenIn):
    """An organization token with a role, acting as its own service user (admins)."""
    actor = actor_for(request, org)
    token, raw = services.create_org_token(
        actor=actor,
        name=payload.name,
        role=payload.role,
        scope=payload.scope,
        expires_at=payload.expires_on,
    )
    return Status(201, token_out(token, role=payload.role, raw=raw))


@router.delete("/orgs/{org}/tokens/{token_id}", response={204: None, **ERRORS})
def revoke_org_token(request, org: str, token_id: int):
    """Revoke an organization token, or a member's personal token (admins)."""
    actor = actor_for(request, org)
    policy.require(actor, "token.org_manage")
    services.revoke_api_token(actor=actor, token_id=token_id)
    return Status(204, None)


# --- erasure of a person's personal data (PIPL / GDPR) -------------------------------------------


@router.post("/orgs/{org}/members/{user_id}/erase", response={204: None, **ERRORS})
def erase_member(request, org: str, user_id: int):
    """Erase a member's or former member's personal data (administrators): name and address
    replaced by a placeholder, tokens revoked, sign-in ended; their work stays under
    "Erased user". 409 for oneself, the last administrator, or a member of another
    organization."""
    actor = actor_for(request, org)
    services.erase_person(actor=actor, user_id=user_id)
    return Status(204, None)
