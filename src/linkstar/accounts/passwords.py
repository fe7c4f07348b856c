"""The password rules' own words where Django's are not translated: Django 5.2 changed the
message of its minimum length validator and its Chinese catalogue still has the old one, so a
too short password would be refused in English."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: a password has at least %(n)d character.",
            "This password is too short: a password has at least %(n)d characters.",
            self.min_length,
        ) % {"n": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "A password has at least %(n)d character.",
            "A password has at least %(n)d characters.",
            self.min_length,
        ) % {"n": self.min_length}
