"""Domain errors with a stable ``code``; the API maps them to HTTP once, the web to a message."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass
class FieldError:
    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict:
        data = {"field": self.field, "message": str(self.message)}
        if self.row is not None:
            data["row"] = self.row
        return data


class DomainError(Exception):
    status = 400
    code = "error"
    default_detail = _("The request could not be carried out.")

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        if code:
            self.code = code
        super().__init__(self.detail)


class NotFound(DomainError):
    """Missing, or belonging to another organization: the caller cannot tell which."""

    status = 404
    code = "not_found"
    default_detail = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = _("Your role does not allow this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_detail = _("This conflicts with the current state.")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class DependencyNotDone(Conflict):
    code = "dependency_not_done"


class StaleVersion(Conflict):
    code = "stale_version"
    default_detail = _("Someone else changed this in the meantime; reload and try again.")


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    default_detail = _("The input is not valid.")

    def __init__(
        self,
        errors: list[FieldError] | FieldError,
        detail: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        if detail is None:
            first = self.errors[0] if self.errors else None
            if first is not None:
                where = f"row {first.row}: " if first.row is not None else ""
                detail = f"{where}{first.field}: {first.message}"
        super().__init__(detail, code=code)


def check_version(obj, version: int | None) -> None:
    """Optimistic locking: refuse a write made against an older version of ``obj``."""
    if version is not None and version != obj.version:
        raise StaleVersion(
            _("%(what)s was changed by someone else (version %(current)s, you sent %(sent)s).")
            % {"what": obj._meta.verbose_name, "current": obj.version, "sent": version}
        )
