"""Users, organizations, memberships and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from linkstar.accounts import twofactor
from linkstar.accounts.models import (
    ApiToken,
    Membership,
    Organization,
    Role,
    TokenScope,
    User,
    hash_token,
)
from linkstar.accounts.throttle import MAX_PASSWORD_LENGTH
from linkstar.audit.models import AuditChainHead, AuditEvent
from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.announcements import PERSON_ERASING, announce
from linkstar.core.exceptions import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)

TOKEN_PREFIX = "lsk_"
# last_used_at is written at most this often per token (every request would be a write).
TOKEN_LAST_USED_EVERY_SECONDS = 60


class AuthenticationFailed(DomainError):
    status = 401
    code = "invalid_credentials"


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        if len(email) > User._meta.get_field("email").max_length:
            raise DjangoValidationError("too long")
        validate_email(email)
    except DjangoValidationError:
        raise InvalidInput(
            FieldError("email", _("%(e)r is not a valid email address.") % {"e": email})
        ) from None
    return email


def validate_new_password(password: str | None, *, user: User, field: str = "password") -> None:
    """Every way a password is set passes here: Django's validators of ``AUTH_PASSWORD_VALIDATORS``
    (length, common passwords, too close to the email or name, digits only), their messages in
    the reader's language; and no longer than sign-in accepts (``throttle.MAX_PASSWORD_LENGTH``)."""
    if not password:
        raise InvalidInput(FieldError(field, _("Choose a password.")))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            FieldError(
                field,
                _("A password has at most %(n)d characters.") % {"n": MAX_PASSWORD_LENGTH},
            )
        )
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput([FieldError(field, message) for message in exc.messages]) from None


@transaction.atomic
def create_user(*, email: str, password: str | None, name: str = "") -> User:
    """Create a login. Emails are unique (case-insensitive); passwords are hashed with Argon2
    and must pass the password validators."""
    email = _clean_email(email)
    validate_new_password(password, user=User(email=email, name=(name or "").strip()))
    if len((name or "").strip()) > User._meta.get_field("name").max_length:
        raise InvalidInput(FieldError("name", _("A name has at most 150 characters.")))
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(FieldError("email", _("A user with this email already exists.")))
    return User.objects.create_user(email=email, password=password, name=(name or "").strip())


@transaction.atomic
def create_organization(*, name: str, slug: str, owner: User, via: str = "cli") -> Organization:
    """Create an organization; its owner becomes an admin member. Starts its audit chain."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(FieldError("name", _("An organization needs a name.")))
    if slug != slugify(slug) or not slug:
        raise InvalidInput(FieldError("slug", _("A slug is lowercase letters, digits and '-'.")))
    if Organization.objects.filter(slug=slug).exists():
        raise InvalidInput(FieldError("slug", _("This slug is taken.")))
    org = Organization.objects.create(name=name, slug=slug)
    AuditChainHead.objects.create(organization=org)
    membership = Membership.objects.create(
        user=owner, organization=org, role=Role.ADMIN, is_owner=True
    )
    actor = Actor.from_membership(membership, via=via)
    record(
        actor=actor,
        action="organization.created",
        obj=org,
        changes={"name": {"before": None, "after": name}, "slug": {"before": None, "after": slug}},
    )
    record(
        actor=actor,
        action="member.added",
        obj=membership,
        changes={
            "email": {"before": None, "after": owner.email},
            "role": {"before": None, "after": "admin"},
            "is_owner": {"before": None, "after": True},
        },
    )
    return org


def _role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(
            FieldError("role", _("Role must be one of %(v)s.") % {"v": ", ".join(Role.values)})
        )
    return role


def _entity_of_organization(actor: Actor, entity_id) -> bool:
    """A client member's seller entity is one of the organization's: the entity a membership
    points at (members are managed by administrators, who see every entity of theirs)."""
    entities = Membership._meta.get_field("entity").related_model.objects
    return entities.filter(organization_id=actor.organization.pk, pk=entity_id).exists()


@transaction.atomic
def add_member(
    *,
    actor: Actor,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    entity_id: int | None = None,
) -> Membership:
    """Admins add members; a new email creates the user (with the given password)."""
    policy.require(actor, "member.manage")
    email = _clean_email(email)
    role = _role(role)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if password is None:
            raise InvalidInput(FieldError("password", _("A new user needs a password.")))
        user = create_user(email=email, password=password, name=name)
    if Membership.objects.filter(user=user, organization=actor.organization).exists():
        raise Conflict(_("%(e)s is already a member.") % {"e": email}, code="already_member")
    if entity_id is not None and not _entity_of_organization(actor, entity_id):
        raise InvalidInput(FieldError("entity_id", _("Unknown seller entity.")))
    membership = Membership.objects.create(
        user=user, organization=actor.organization, role=role, entity_id=entity_id
    )
    record(
        actor=actor,
        action="member.added",
        obj=membership,
        changes={
            "email": {"before": None, "after": email},
            "role": {"before": None, "after": role},
        },
    )
    return membership


def _membership(actor: Actor, user_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(organization=actor.organization, user_id=user_id)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


def _keep_an_admin(actor: Actor, membership: Membership) -> None:
    admins = (
        Membership.objects.filter(organization=actor.organization, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exclude(user__is_service=True)  # an organization token is not an administrator
    )
    if membership.role == Role.ADMIN and not admins.exists():
        raise Conflict(_("An organization keeps at least one administrator."), code="last_admin")


@transaction.atomic
def change_member_role(
    *, actor: Actor, user_id: int, role: str, entity_id: int | None = None
) -> Membership:
    policy.require(actor, "member.manage")
    membership = _membership(actor, user_id)
    role = _role(role)
    if entity_id is not None and not _entity_of_organization(actor, entity_id):
        raise InvalidInput(FieldError("entity_id", _("Unknown seller entity.")))
    if role != Role.ADMIN:
        _keep_an_admin(actor, membership)
    before = membership.role
    was_owner = membership.is_owner
    membership.role = role
    # "Owner" is an admin flag: a demoted owner keeps no admin rights through it.
    membership.is_owner = was_owner and role == Role.ADMIN
    if entity_id is not None:
        membership.entity_id = entity_id
    membership.save()
    record(
        actor=actor,
        action="member.role_changed",
        obj=membership,
        changes={
            "email": {"before": membership.user.email, "after": membership.user.email},
            "role": {"before": before, "after": role},
            **(
                {"is_owner": {"before": True, "after": False}}
                if was_owner and not membership.is_owner
                else {}
            ),
        },
    )
    return membership


@transaction.atomic
def remove_member(*, actor: Actor, user_id: int) -> None:
    policy.require(actor, "member.manage")
    membership = _membership(actor, user_id)
    _keep_an_admin(actor, membership)
    record(
        actor=actor,
        action="member.removed",
        obj=membership,
        changes={
            "email": {"before": membership.user.email, "after": None},
            "role": {"before": membership.role, "after": None},
        },
    )
    membership.delete()


def issue_token(
    *,
    user: User,
    name: str = "",
    expires_at=None,
    scope: str = TokenScope.READ_WRITE,
    organization: Organization | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """A new API token; the raw value is returned once and only its hash is kept."""
    # 256 random bits: a collision with the unique hash is not a case to handle.
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=(name or "")[:100],
        key_hash=hash_token(raw),
        prefix=raw[:12],
        expires_at=expires_at,
        scope=scope,
        organization=organization,
        created_by=created_by,
    )
    return token, raw


class SecondFactorRequired(AuthenticationFailed):
    code = "otp_required"


class TwoFactorSetupRequired(DomainError):
    """An administrator whose organization requires two-factor sign-in, without it: no token
    (it would be a way around the requirement)."""

    status = 403
    code = "two_factor_setup_required"


class SecondFactorWrong(AuthenticationFailed):
    code = "invalid_otp"


def token_for_credentials(
    *, email: str, password: str, name: str = "", otp: str | None = None, ip=None
) -> str:
    """Email and password for a token; a user with two-factor sign-in also sends ``otp``, a
    code of the authenticator or an unused recovery code (401 ``otp_required`` without it,
    401 ``invalid_otp`` when it is wrong). Users without it send what they always sent."""
    user = authenticate(username=(email or "").strip().lower(), password=password)
    if user is None or not user.is_active or user.is_service:
        raise AuthenticationFailed(_("Wrong email or password."))
    if twofactor.has_two_factor(user):
        if not (otp or "").strip():
            raise SecondFactorRequired(
                _(
                    "This account uses two-factor sign-in: send the code of the authenticator "
                    "(or a recovery code) in the otp field."
                )
            )
        if not twofactor.verify_second_factor(user=user, code=otp, ip=ip, via="api"):
            raise SecondFactorWrong(_("The two-factor code is not right."))
    elif twofactor.must_enrol(user):
        raise TwoFactorSetupRequired(
            _(
                "Your organization requires two-factor sign-in of administrators: set it up on "
                "the “Password and sign-in” page first, then ask for a token with its code."
            )
        )
    return issue_token(user=user, name=name or "api")[1]


def token_for_raw(raw: str) -> ApiToken | None:
    """The usable token with this raw value (its user loaded), or None. Records when it was last
    used, at most once a minute per token (a conditional update: concurrent requests write once)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    now = clock.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    threshold = now - dt.timedelta(seconds=TOKEN_LAST_USED_EVERY_SECONDS)
    if token.last_used_at is None or token.last_used_at < threshold:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def user_for_token(raw: str) -> User | None:
    token = token_for_raw(raw)
    return token.user if token is not None else None


def _token_expiry(actor: Actor | None, expires_at, time_zone: str | None = None):
    """A date means "usable through that day" in the organization's time zone."""
    if expires_at is None:
        return None
    if isinstance(expires_at, dt.datetime):
        when = expires_at if timezone.is_aware(expires_at) else timezone.make_aware(expires_at)
    else:
        zone_name = time_zone or (actor.organization.time_zone if actor else None) or "UTC"
        zone = zoneinfo.ZoneInfo(zone_name)
        when = dt.datetime.combine(expires_at + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    if when <= clock.now():
        raise InvalidInput(FieldError("expires_at", _("The expiry date must be in the future.")))
    return when


def _token_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(
            FieldError("name", _("Give the token a name, e.g. the script using it."))
        )
    if len(name) > 100:
        raise InvalidInput(FieldError("name", _("A token name has at most 100 characters.")))
    return name


def _token_scope(scope: str | None) -> str:
    scope = scope or TokenScope.READ_WRITE
    if scope not in TokenScope.values:
        raise InvalidInput(
            FieldError(
                "scope", _("Scope must be one of %(v)s.") % {"v": ", ".join(TokenScope.values)}
            )
        )
    return scope


def _token_changes(token: ApiToken, role: str | None = None) -> dict:
    # Never the raw token nor its hash: the prefix is enough to recognise it.
    changes = {
        "name": {"before": None, "after": token.name},
        "prefix": {"before": None, "after": token.prefix},
        "owner": {"before": None, "after": token.user.email},
        "scope": {"before": None, "after": token.scope},
        "expires_at": {"before": None, "after": token.expires_at},
    }
    if token.organization_id is not None:
        changes["kind"] = {"before": None, "after": "organization"}
        changes["role"] = {"before": None, "after": role}
    return changes


def _personal_token(
    *, user: User, actors: list[Actor], name: str, scope: str | None, expires_at, time_zone
) -> tuple[ApiToken, str]:
    if user is None or user.is_service:
        raise PermissionDenied(_("Only a signed-in person can hold an API token."))
    name = _token_name(name)
    scope = _token_scope(scope)
    when = _token_expiry(None, expires_at, time_zone)
    token, raw = issue_token(user=user, name=name, expires_at=when, scope=scope, created_by=user)
    # The token acts in every organization of its holder: each one's audit trail records it.
    for actor in actors:
        record(actor=actor, action="token.created", obj=token, changes=_token_changes(token))
    return token, raw


@transaction.atomic
def create_api_token(
    *, actor: Actor, name: str, expires_at=None, scope: str | None = None
) -> tuple[ApiToken, str]:
    """A member creates a personal API token (it acts with their own roles, ``read`` or
    ``read_write``). The raw value is returned once; only its hash is stored and the audit
    event holds neither."""
    if actor.user is None:
        raise PermissionDenied(_("Only a signed-in person can hold an API token."))
    return _personal_token(
        user=actor.user,
        actors=[actor, *_other_org_actors(actor.user, actor)],
        name=name,
        scope=scope,
        expires_at=expires_at,
        time_zone=actor.organization.time_zone,
    )


def _revoke(token: ApiToken) -> dict:
    """Mark a locked token revoked (409 when it already is); the audit changes to record."""
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."), code="already_revoked")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    unchanged = {"name": token.name, "prefix": token.prefix, "owner": token.user.email}
    return {
        **{field: {"before": value, "after": value} for field, value in unchanged.items()},
        "revoked_at": {"before": None, "after": token.revoked_at},
    }


def _other_org_actors(user: User, actor: Actor | None, *, ip=None, via="api") -> list[Actor]:
    memberships = Membership.objects.select_related("organization", "user").filter(user=user)
    if actor is not None:
        memberships = memberships.exclude(organization_id=actor.organization.pk)
        ip, via = actor.ip, actor.via
    return [Actor.from_membership(m, ip=ip, via=via) for m in memberships.order_by("pk")]


@transaction.atomic
def create_personal_token(
    *, user: User, name: str, scope: str | None = None, expires_at=None, ip=None, via="api"
) -> tuple[ApiToken, str]:
    """The same as :func:`create_api_token`, outside any one organization (``POST
    /me/tokens``): audited in every organization the user belongs to."""
    actors = _other_org_actors(user, None, ip=ip, via=via)
    zone = actors[0].organization.time_zone if actors else "UTC"
    return _personal_token(
        user=user, actors=actors, name=name, scope=scope, expires_at=expires_at, time_zone=zone
    )


def _service_email(org: Organization, name: str) -> str:
    domain = settings.LINKSTAR_SERVICE_USER_DOMAIN
    base = slugify(name)[:40] or "token"
    for n in range(1, 1000):
        local = f"token:{base}" if n == 1 else f"token:{base}-{n}"
        email = f"{local}@{org.slug}.{domain}"
        if not User.objects.filter(email=email).exists():
            return email
    return f"token:{secrets.token_hex(6)}@{org.slug}.{domain}"


ORG_TOKEN_ROLES = [r for r in Role.values if r != Role.CLIENT]


@transaction.atomic
def create_org_token(
    *, actor: Actor, name: str, role: str, scope: str | None = None, expires_at=None
) -> tuple[ApiToken, str]:
    """An administrator creates an organization token: bound to this organization and a role
    (not client), held by a service user of its own ("token:<name>") so that whatever it does
    is audited under that name, and it outlives the people who made it."""
    policy.require(actor, "token.org_manage")
    name = _token_name(name)
    scope = _token_scope(scope)
    if role not in ORG_TOKEN_ROLES:
        raise InvalidInput(
            FieldError("role", _("Role must be one of %(v)s.") % {"v": ", ".join(ORG_TOKEN_ROLES)})
        )
    when = _token_expiry(actor, expires_at)
    service = User(
        email=_service_email(actor.organization, name), name=f"token:{name}", is_service=True
    )
    service.set_unusable_password()
    service.save()
    Membership.objects.create(user=service, organization=actor.organization, role=role)
    token, raw = issue_token(
        user=service,
        name=name,
        expires_at=when,
        scope=scope,
        organization=actor.organization,
        created_by=actor.user,
    )
    record(actor=actor, action="token.created", obj=token, changes=_token_changes(token, role))
    return token, raw


def _revocable(actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.organization_id is not None:
        if token.organization_id != actor.organization.pk:
            raise NotFound()
        policy.require(actor, "token.org_manage")
        return token
    own = actor.user_id is not None and token.user_id == actor.user_id
    if not own:
        is_member = Membership.objects.filter(
            organization=actor.organization, user_id=token.user_id
        ).exists()
        if not is_member or not policy.can(actor, "member.manage"):
            raise NotFound()
    return token


@transaction.atomic
def revoke_api_token(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of one's own tokens; an administrator may also revoke any token of a member of
    the organization, and the organization's tokens (whose service user is then retired).
    Anyone else's token is not found."""
    token = _revocable(actor, token_id)
    changes = _revoke(token)
    if token.organization_id is not None:
        User.objects.filter(pk=token.user_id).update(is_active=False)
        Membership.objects.filter(user_id=token.user_id).delete()
    record(actor=actor, action="token.revoked", obj=token, changes=changes)
    return token


@transaction.atomic
def revoke_personal_token(*, user: User, token_id: int, ip=None, via="api") -> ApiToken:
    """``DELETE /me/tokens/{id}``: one's own personal token; audited in each organization."""
    token = (
        ApiToken.objects.select_for_update()
        .select_related("user")
        .filter(pk=token_id, user=user, organization__isnull=True)
        .first()
    )
    if token is None:
        raise NotFound()
    changes = _revoke(token)
    for actor in _other_org_actors(user, None, ip=ip, via=via):
        record(actor=actor, action="token.revoked", obj=token, changes=changes)
    return token


# --- passwords ---------------------------------------------------------------------------------


@transaction.atomic
def change_own_password(
    *, user: User, current_password: str, new_password: str, ip=None, via: str = "web"
) -> User:
    """A person changes their own password: the current one must be right, the new one differs
    from it and passes the validators. Audited in each of their organizations (never a value)."""
    if user.is_service or not user.check_password(current_password or ""):
        raise InvalidInput(
            FieldError("current_password", _("The current password is not right.")),
            code="wrong_password",
        )
    if new_password == current_password:
        raise InvalidInput(
            FieldError("new_password", _("The new password is the same as the current one."))
        )
    validate_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    changes = {"email": {"before": user.email, "after": user.email}}
    twofactor.record_for_user(
        user, "user.password_changed", twofactor.actors_of_user(user, ip=ip, via=via), changes
    )
    return user


@transaction.atomic
def set_user_password(*, email: str, password: str, via: str = "cli") -> User:
    """An operator of the installation sets someone's password (``linkstar user set-password``):
    the same validators; audited in each organization of the user as the system."""
    user = User.objects.select_for_update().filter(email__iexact=(email or "").strip()).first()
    if user is None or user.is_service:
        raise NotFound(_("No user with this email."))
    validate_new_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    actors = [Actor.system(m.organization, via=via) for m in user.memberships.all()]
    changes = {"email": {"before": user.email, "after": user.email}}
    twofactor.record_for_user(user, "user.password_set", actors, changes)
    return user


# --- erasure of a person's personal data on request (PIPL / GDPR) --------------------------------


def erased_email(user_id: int) -> str:
    """The placeholder address an erased person keeps (``User.is_erased``)."""
    return f"erased-{user_id}@invalid"


@transaction.atomic
def erase_person(*, actor: Actor, user_id: int) -> User:
    """Erase a member's or former member's personal data: the name goes, the e-mail address
    becomes ``erased-<id>@invalid``, the password unusable and the account inactive (so every
    session ends and no sign-in works), every API token is revoked, the membership here is
    removed, and notifications drop the person's preferences, chat handles and inbox
    (``PERSON_ERASING``). Their work stays (comments, tasks, audit events keep the user id and
    now name them "Erased user"). Who: administrators (``member.manage``), for a person who is or
    was a member of the organization and belongs to no other one; never oneself, never the last
    administrator. The audit event names the user by id, never by address."""
    policy.require(actor, "member.manage")
    user = User.objects.select_for_update().filter(pk=user_id, is_service=False).first()
    membership = (
        Membership.objects.filter(organization=actor.organization, user_id=user_id).first()
        if user is not None
        else None
    )
    was_member = (
        membership is not None
        or AuditEvent.objects.filter(organization=actor.organization, actor_id=user_id).exists()
    )
    if user is None or not was_member:
        raise NotFound()
    if user.pk == actor.user_id:
        raise Conflict(_("You cannot erase your own personal data here."), code="erase_self")
    if user.is_erased:
        raise Conflict(_("This person's personal data was erased already."), code="already_erased")
    if membership is not None:
        _keep_an_admin(actor, membership)
    if Membership.objects.filter(user=user).exclude(organization=actor.organization).exists():
        raise Conflict(
            _(
                "This person is also a member of another organization; it must remove them "
                "before their personal data can be erased."
            ),
            code="member_elsewhere",
        )
    now = clock.now()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    if membership is not None:
        membership.delete()
    user.email = erased_email(user.pk)
    user.name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    announce(PERSON_ERASING, user_id=user.pk)
    record(
        actor=actor,
        action="member.erased",
        object_type="user",
        object_id=user.pk,
        changes={
            "erased": {"before": None, "after": True},
            "was_member": {"before": membership is not None, "after": False},
            "tokens_revoked": {"before": 0, "after": tokens},
        },
    )
    return user
