from __future__ import annotations

from ninja import Query, Router, Status

from linkstar.accounts import selectors, services
from linkstar.accounts.schemas import (
    MemberIn,
    MemberList,
    MemberOut,
    MemberPatch,
    MeOut,
    OrgList,
    TokenIn,
    TokenOut,
)
from linkstar.api.common import ERRORS, actor_for, page
from linkstar.api.paging import Paging

router = Router(tags=["auth and organizations"])


def member_out(m) -> dict:
    return {
        "user_id": m.user_id,
        "email": m.user.email,
        "name": m.user.name,
        "role": m.role,
        "is_owner": m.is_owner,
        "entity_id": m.entity_id,
    }


@router.post("/auth/token", auth=None, response={201: TokenOut, **ERRORS})
def create_token(request, payload: TokenIn):
    """Exchange email and password for an API token (shown once; stored hashed)."""
    token = services.token_for_credentials(
        email=payload.email, password=payload.password, name=payload.name or ""
    )
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
        selectors.member_list(actor=actor),
        limit=paging.limit,
        offset=paging.offset,
        serialize=lambda ms: [member_out(m) for m in ms],
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
