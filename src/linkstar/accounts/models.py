"""Users (login by email), organizations, memberships with roles, API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linkstar.core import clock
from linkstar.core.crypto import EncryptedTextField


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Project manager")
    OPERATOR = "operator", _("Operator")
    REVIEWER = "reviewer", _("Reviewer")
    AUDITOR = "auditor", _("Auditor")
    CLIENT = "client", _("Client")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # The user an organization API token acts as ("token:ERP"): no password, no web sign-in.
    is_service = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.is_erased:
            return str(_("Erased user"))
        return self.name or self.email

    @property
    def is_erased(self) -> bool:
        """Personal data erased on request (``accounts.services.erase_person``)."""
        return self.email == f"erased-{self.pk}@invalid"


class Organization(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="organizations")
    # Administrators must sign in with a second factor (TOTP): one without it is sent to enrol
    # before any page of the organization opens.
    require_admin_two_factor = models.BooleanField(
        _("require two-factor sign-in for administrators"), default=False
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_owner = models.BooleanField(default=False)
    # For the client role: the seller entity whose projects the client may see.
    entity = models.ForeignKey(
        "entities.SellerEntity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored (the raw value is shown once).

    A personal token acts as its user, with the user's roles in each organization. An
    organization token (``organization`` set) acts as a service user of that organization only,
    with the role given to it, so that its actions are audited under its own name."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    scope = models.CharField(
        _("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.READ_WRITE
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("organization"),
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_read_only(self) -> bool:
        return self.scope == TokenScope.READ

    def is_usable(self, now=None) -> bool:
        now = now or clock.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Make-up working day")


def default_working_weekdays() -> list[int]:
    """Every day: computed dates skip nothing until the organization sets its calendar
    (DESIGN.md §2, API.md: ``start_date = project.start_date + offset_days``)."""
    return [0, 1, 2, 3, 4, 5, 6]


class WorkCalendarSettings(models.Model):
    """An organization's working-day calendar; no row: every day is a working day (dates skip
    nothing, as the API describes them) until an administrator sets one — typically Monday to
    Friday with China's public holidays (the shipped list). ``exceptions``: the organization's own dated days,
    ``[{"date": "YYYY-MM-DD", "kind": "holiday"|"workday", "name": str}]``, sorted by date,
    one per date; they take precedence over the shipped list."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="work_calendar"
    )
    # Monday = 0 … Sunday = 6
    weekdays = models.JSONField(_("working weekdays"), default=default_working_weekdays)
    use_cn_holidays = models.BooleanField(_("China's public holidays"), default=False)
    exceptions = models.JSONField(_("own holidays and make-up working days"), default=list)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("working-day calendar")

    def __str__(self) -> str:
        return f"working-day calendar of {self.organization_id}"


class TwoFactor(models.Model):
    """A user's TOTP authenticator. The shared secret is stored encrypted; until the user confirms
    it with a code (``confirmed_at``), it is an enrolment in progress and signing in ignores it.
    ``last_counter``: the time step of the last accepted code, so that a code is used once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_counter = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("two-factor sign-in")

    def __str__(self) -> str:
        return f"two-factor sign-in of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator; only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recovery code")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="uniq_recovery_code")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"
