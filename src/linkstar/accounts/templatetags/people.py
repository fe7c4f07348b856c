"""How people are shown to the reader (``accounts.people``): ``{{ user|person:actor }}`` the name,
``{{ user|email_for:actor }}`` and ``{{ membership|member_email:actor }}`` the e-mail address, or
"" for a client reading the staff."""

from __future__ import annotations

from django import template

from linkstar.accounts.people import member_email as shown_member_email
from linkstar.accounts.people import person_name, shown_email

register = template.Library()


@register.filter
def person(user, viewer) -> str:
    return person_name(user or None, viewer or None)


@register.filter
def email_for(user, viewer) -> str:
    return shown_email(user or None, viewer or None)


@register.filter
def member_email(membership, viewer) -> str:
    """A member's e-mail address, or "" for a client reading the staff."""
    return shown_member_email(membership, viewer or None)
