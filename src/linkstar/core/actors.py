"""Who is acting: the user, in which organization, with which role, from where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from linkstar.accounts.models import Membership, Organization, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    organization: Organization
    role: str
    is_owner: bool = False
    entity_id: int | None = None  # the client role's own seller entity
    ip: str | None = None
    via: str = "api"  # api, web, cli, system

    @classmethod
    def from_membership(cls, membership: Membership, *, ip: str | None = None, via: str = "api"):
        return cls(
            user=membership.user,
            organization=membership.organization,
            role=membership.role,
            is_owner=membership.is_owner,
            entity_id=membership.entity_id,
            ip=ip,
            via=via,
        )

    @classmethod
    def system(cls, organization: Organization, *, via: str = "system") -> Actor:
        """The product itself (init, CLI bootstrap): acts with admin rights, audited as such."""
        return cls(user=None, organization=organization, role="admin", via=via)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        return self.user.email if self.user is not None else f"<{self.via}>"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" or self.is_owner

    @property
    def is_client(self) -> bool:
        """An agency's client (issue 15 §1): sees its own entity's projects and nothing
        internal — no organization template, no staff e-mail address."""
        return self.role == "client" and not self.is_admin


def client_ip(request) -> str | None:
    if settings.LINKSTAR_TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")
