"""Two-factor sign-in (issue 17 §7): a TOTP authenticator (RFC 6238, an app such as Google
Authenticator or Microsoft Authenticator) and single-use recovery codes.

The secret is stored encrypted (``core.crypto``); a recovery code only as a keyed hash (HMAC
with the installation's secret key, kept outside the database). A TOTP code is accepted once:
the time step of the last accepted code is kept and a code of that step or an earlier one is
refused. The time is the project clock (``core.clock``), so tests move it.

Enrolment, new recovery codes and turning it off are audited in each organization of the user.
An organization may require it of its administrators (``Organization.require_admin_two_factor``):
:func:`must_enrol` says so, the web sends them to enrol (``accounts.web.web_actor``).
"""

from __future__ import annotations

import hmac
import secrets

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from linkstar.accounts.models import Membership, Organization, RecoveryCode, Role, TwoFactor, User
from linkstar.audit.services import record
from linkstar.core import clock, policy
from linkstar.core.actors import Actor
from linkstar.core.exceptions import Conflict, FieldError, InvalidInput

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 10  # 10 of 31 symbols: about 50 bits each
_HMAC_SALT = "linkstar.accounts.recovery-code"


def actors_of_user(user: User, *, ip=None, via: str = "web") -> list[Actor]:
    """The user as a member of each organization: a change to the person is recorded in the
    audit trail of every organization they belong to."""
    memberships = Membership.objects.select_related("organization", "user").filter(user=user)
    return [Actor.from_membership(m, ip=ip, via=via) for m in memberships.order_by("pk")]


def record_for_user(user: User, action: str, actors: list[Actor], changes: dict) -> None:
    """One audit event of a change to the user's own sign-in, in each of their organizations."""
    for actor in actors:
        record(actor=actor, action=action, obj=user, changes=changes)


# --- reading -----------------------------------------------------------------------------------


def confirmed(user: User) -> TwoFactor | None:
    """The user's confirmed authenticator, or None (none, or an enrolment not finished)."""
    if user is None or not user.pk:
        return None
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_two_factor(user: User) -> bool:
    return confirmed(user) is not None


def pending(user: User) -> TwoFactor | None:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()


def required_by(user: User) -> list[Organization]:
    """The organizations where the user is an administrator and administrators must use it."""
    return [
        m.organization
        for m in Membership.objects.select_related("organization").filter(
            user=user, role=Role.ADMIN, organization__require_admin_two_factor=True
        )
    ]


def must_enrol(user: User) -> bool:
    """An administrator of an organization that requires two-factor sign-in, without it."""
    return bool(required_by(user)) and not has_two_factor(user)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def provisioning_uri(device: TwoFactor) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email, issuer_name=settings.LINKSTAR_TOTP_ISSUER
    )


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` address as an inline SVG QR code: drawn here, nothing is fetched."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret to type by hand, in groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- codes -------------------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def _totp_step(device: TwoFactor, code: str) -> int | None:
    """The time step whose code this is (within the allowed drift), or None."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(device.secret)
    now = clock.now()
    window = max(0, settings.LINKSTAR_TOTP_VALID_WINDOW)
    for offset in range(-window, window + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return totp.timecode(now) + offset
    return None


def _recovery_hash(code: str) -> str:
    normal = _digits(code).lower()
    return salted_hmac(_HMAC_SALT, normal, algorithm="sha256").hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes by new ones; the plain codes are returned once."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _n in range(settings.LINKSTAR_RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_recovery_hash(c)) for c in codes]
    )
    return codes


def _use_totp(device: TwoFactor, code: str) -> bool:
    step = _totp_step(device, code)
    if step is None:
        return False
    # A conditional update: a code (or an earlier one) already accepted is refused, also when two
    # requests carry the same code at the same moment.
    accepted = (
        TwoFactor.objects.filter(pk=device.pk)
        .exclude(last_counter__gte=step)
        .update(last_counter=step)
    )
    return accepted == 1


def _use_recovery_code(user: User, code: str) -> bool:
    normal = _digits(code).lower()
    if len(normal) != RECOVERY_LENGTH:
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(normal), used_at__isnull=True
    ).update(used_at=clock.now())
    return used == 1


@transaction.atomic
def verify_second_factor(*, user: User, code: str, ip=None, via: str = "web") -> bool:
    """The second step of a sign-in: a code of the authenticator, or an unused recovery code
    (then spent, and the use audited). False for anything else; the caller counts failures."""
    device = confirmed(user)
    if device is None or not code:
        return False
    if _use_totp(device, code):
        return True
    if _use_recovery_code(user, code):
        left = recovery_codes_left(user)
        record_for_user(
            user,
            "two_factor.recovery_code_used",
            actors_of_user(user, ip=ip, via=via),
            {"recovery_codes_left": {"before": left + 1, "after": left}},
        )
        return True
    return False


def _reauthenticate(user: User, device: TwoFactor, *, code: str, password: str) -> None:
    """Turning it off or replacing the recovery codes needs a current code or the password."""
    if code and _use_totp(device, code):
        return
    if password and user.check_password(password):
        return
    raise InvalidInput(
        FieldError("code", _("Enter a current code of your authenticator, or your password.")),
        code="reauthentication_failed",
    )


# --- writing -----------------------------------------------------------------------------------


@transaction.atomic
def start_enrolment(*, user: User) -> TwoFactor:
    """A new secret to scan, kept (encrypted) until the user confirms it with a code; an
    enrolment already started keeps its secret, so that reloading the page shows the same QR."""
    if user.is_service:
        raise Conflict(_("A service user has no sign-in."), code="service_user")
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise Conflict(_("Two-factor sign-in is already on."), code="two_factor_on")
    if device is None:
        device = TwoFactor.objects.create(user=user, secret=pyotp.random_base32())
    return device


@transaction.atomic
def confirm_enrolment(*, user: User, code: str, ip=None, via: str = "web") -> list[str]:
    """The first code from the authenticator turns two-factor sign-in on; the answer is the
    new recovery codes, to be shown once."""
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise Conflict(_("Start the setup first."), code="two_factor_not_started")
    if device.confirmed_at is not None:
        raise Conflict(_("Two-factor sign-in is already on."), code="two_factor_on")
    if not _use_totp(device, code):
        raise InvalidInput(
            FieldError("code", _("This code is not right. Check the time of your phone.")),
            code="invalid_otp",
        )
    device.confirmed_at = clock.now()
    device.save(update_fields=["confirmed_at"])
    codes = _new_recovery_codes(user)
    record_for_user(
        user,
        "two_factor.enabled",
        actors_of_user(user, ip=ip, via=via),
        {"two_factor": {"before": False, "after": True}},
    )
    return codes


@transaction.atomic
def regenerate_recovery_codes(
    *, user: User, code: str = "", password: str = "", ip=None, via: str = "web"
) -> list[str]:
    """New recovery codes (the old ones stop working), after a code or the password."""
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is None:
        raise Conflict(_("Two-factor sign-in is off."), code="two_factor_off")
    _reauthenticate(user, device, code=code, password=password)
    codes = _new_recovery_codes(user)
    record_for_user(
        user,
        "two_factor.recovery_codes_replaced",
        actors_of_user(user, ip=ip, via=via),
        {"recovery_codes_left": {"before": None, "after": len(codes)}},
    )
    return codes


def _turn_off(user: User, actors: list[Actor]) -> None:
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record_for_user(
        user, "two_factor.disabled", actors, {"two_factor": {"before": True, "after": False}}
    )


@transaction.atomic
def disable(*, user: User, code: str = "", password: str = "", ip=None, via: str = "web") -> None:
    """The user turns two-factor sign-in off, with a current code or the password."""
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is None:
        raise Conflict(_("Two-factor sign-in is off."), code="two_factor_off")
    _reauthenticate(user, device, code=code, password=password)
    _turn_off(user, actors_of_user(user, ip=ip, via=via))


@transaction.atomic
def reset_for(*, user: User, via: str = "cli") -> bool:
    """An operator of the installation turns it off for a user who lost authenticator and
    recovery codes (``linkstar user reset-two-factor``). False when it was not on."""
    if not TwoFactor.objects.filter(user=user).exists():
        return False
    actors = [Actor.system(m.organization, via=via) for m in user.memberships.all()]
    _turn_off(user, actors)
    return True


@transaction.atomic
def set_admin_requirement(*, actor: Actor, required: bool) -> Organization:
    """An administrator requires (or stops requiring) two-factor sign-in of the organization's
    administrators. Audited."""
    policy.require(actor, "organization.security")
    org = Organization.objects.select_for_update().get(pk=actor.organization.pk)
    before = org.require_admin_two_factor
    if before != required:
        org.require_admin_two_factor = required
        org.save(update_fields=["require_admin_two_factor"])
        record(
            actor=actor,
            action="organization.two_factor_required",
            obj=org,
            changes={"require_admin_two_factor": {"before": before, "after": required}},
        )
    actor.organization.require_admin_two_factor = required
    return org
