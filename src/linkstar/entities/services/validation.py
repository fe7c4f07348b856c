"""Field checks shared by the entity services: each returns the cleaned value or raises one
``FieldError`` naming the field; the services gather them into one ``InvalidInput``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from linkstar.core.exceptions import FieldError, InvalidInput


class Checker:
    """Collects field errors while cleaning a payload, then raises them together."""

    def __init__(self, model) -> None:
        self.model = model
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)

    def text(self, values: dict, field: str, *, required: bool = False) -> None:
        """Strip, enforce the model's length, and refuse an empty required value."""
        if field not in values:
            return
        value = values[field]
        value = "" if value is None else str(value).strip()
        values[field] = value
        limit = self.model._meta.get_field(field).max_length
        if required and not value:
            self.fail(field, _("This field is required."))
        elif limit and len(value) > limit:
            self.fail(field, _("At most %(n)d characters.") % {"n": limit})

    def choice(self, values: dict, field: str, choices) -> None:
        if field not in values:
            return
        value = (values[field] or "").strip() if isinstance(values[field], str) else values[field]
        values[field] = value
        allowed = [c for c, _label in choices]
        if value not in allowed:
            self.fail(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})

    def date(self, values: dict, field: str) -> None:
        if field not in values:
            return
        value = values[field]
        if value in (None, ""):
            values[field] = None
        elif isinstance(value, dt.date):
            return
        else:
            try:
                values[field] = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(field, _("Enter a date as YYYY-MM-DD."))

    def country(self, values: dict, field: str) -> None:
        if field not in values:
            return
        value = (values[field] or "").strip().upper()
        values[field] = value
        if value and not re.fullmatch(r"[A-Z]{2,3}", value):
            self.fail(field, _("Use a two-letter country code, e.g. CN, HK, US."))

    def compact(self, values: dict, field: str, *, required: bool = False, min_len: int = 1):
        """An identity or account number: spaces and dashes removed, letters upper-cased."""
        if field not in values:
            return
        value = re.sub(r"[\s\-]", "", str(values[field] or "")).upper()
        values[field] = value
        limit = self.model._meta.get_field(field).max_length
        if not value:
            if required:
                self.fail(field, _("This field is required."))
            return
        if not value.isascii() or not value.isalnum():
            self.fail(field, _("Only letters and digits."))
        elif len(value) < min_len:
            self.fail(field, _("At least %(n)d characters.") % {"n": min_len})
        elif limit and len(value) > limit:
            self.fail(field, _("At most %(n)d characters.") % {"n": limit})

    def email(self, values: dict, field: str) -> None:
        try:
            validate_email(values[field])
        except ValidationError:
            self.fail(field, _("Enter a valid email address."))

    def phone(self, values: dict, field: str) -> None:
        value = values[field]
        digits = re.sub(r"\D", "", value)
        if not re.fullmatch(r"\+?[\d\s\-().]+", value) or not 5 <= len(digits) <= 20:
            self.fail(field, _("Enter a phone number: digits, spaces, dashes, an optional +."))

    def percent(self, values: dict, field: str) -> None:
        if field not in values:
            return
        value = values[field]
        if value in (None, ""):
            values[field] = None
            return
        try:
            number = Decimal(str(value).strip().rstrip("%"))
        except InvalidOperation:
            self.fail(field, _("Enter a number between 0 and 100."))
            return
        if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
            self.fail(field, _("Enter a number between 0 and 100."))
            return
        values[field] = number.quantize(Decimal("0.01"))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def card_brand(digits: str) -> str:
    """The brand a card number's prefix says (ISO/IEC 7812 ranges of the common schemes)."""
    if digits.startswith("4"):
        return "visa"
    two, four = int(digits[:2]), int(digits[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if two == 62:
        return "unionpay"
    if 3528 <= four <= 3589:
        return "jcb"
    if digits.startswith("6011") or two == 65:
        return "discover"
    return "other"
